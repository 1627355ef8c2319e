package dev.outpost.deploy;

import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
import dev.outpost.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names (and their label names) a real Outpost process exports: starts its jar on
 * loopback ports, lets {@code traffic} exercise it, and scrapes {@code /metrics}. A jar that is
 * still a usage-printing shell (the service not yet built on this branch) yields null and a note.
 */
final class LiveMetrics {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})?\\s");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private LiveMetrics() {
    }

    /** What was scraped, or why nothing was. */
    record Scrape(Map<String, Set<String>> metrics, String note) {
    }

    interface Traffic {
        void drive(String serviceUrl) throws Exception;
    }

    static Scrape scrape(Path jar, Path work, String name, List<String> args, String healthUrl, String metricsUrl,
                         String serviceUrl, Traffic traffic) throws Exception {
        if (!Files.isRegularFile(jar)) {
            return new Scrape(null, jar + " is not built");
        }
        Path log = work.resolve(name + ".log");
        try (ChildJvm process = ChildJvm.startJar(jar, log, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"),
                args.toArray(String[]::new))) {
            try {
                Await.until(name + " healthy at " + healthUrl, Duration.ofSeconds(60), () -> !process.isAlive() || ok(healthUrl));
            } catch (AssertionError e) {
                throw new AssertionError(name + " not healthy at " + healthUrl + " after 60s:\n" + process.logText(), e);
            }
            if (!process.isAlive()) {
                String text = process.logText();
                if (text.toLowerCase().contains("usage")) {
                    return new Scrape(null, name + " jar prints its usage and exits: not built yet on this branch");
                }
                throw new AssertionError(name + " exited while starting:\n" + text);
            }
            traffic.drive(serviceUrl);
            HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (metrics.statusCode() != 200) {
                throw new AssertionError(name + ": GET " + metricsUrl + " answered " + metrics.statusCode());
            }
            process.terminate(Duration.ofSeconds(30));
            return new Scrape(parse(metrics.body()), null);
        }
    }

    static boolean ok(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Prometheus text format: metric name to the label names its samples carry. */
    static Map<String, Set<String>> parse(String text) {
        Map<String, Set<String>> out = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.find()) {
                continue;
            }
            Set<String> labels = out.computeIfAbsent(m.group(1), k -> new HashSet<>());
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        return out;
    }

    static String loopback(int port) {
        return "127.0.0.1:" + port;
    }

    static int port() {
        return Ports.free();
    }
}
