package dev.outpost.edge;

import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
import dev.outpost.testing.Ports;
import dev.outpost.testing.PrometheusText;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A node in its own JVM, for tests that kill it with SIGKILL, run it for minutes, or point a
 * second process at its data directory. Runs {@link EdgeNodeMain} with real flags, or another
 * main class of the test class path (the soak test's node with a config endpoint). Ports are
 * chosen once, so restarts keep them.
 */
public final class EdgeProcess implements AutoCloseable {

    public final int port = Ports.free();
    public final int adminPort = Ports.free();
    private final Class<?> mainClass;
    private final Path log;
    private final List<String> jvmArgs;
    private final List<String> args;
    private ChildJvm jvm;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private EdgeProcess(Class<?> mainClass, Path log, List<String> jvmArgs, List<String> args) {
        this.mainClass = mainClass;
        this.log = log;
        this.jvmArgs = jvmArgs;
        this.args = args;
    }

    /**
     * The real edge main with {@code --origin}, listeners on this object's ports, and {@code extra}
     * flags. A null {@code origin} gives no {@code --origin}: {@code extra} then names the origins
     * (e.g. {@code --config FILE}), since {@code --origin} replaces the origin named {@code default}.
     */
    public static EdgeProcess edge(String origin, Path dataDir, List<String> jvmArgs, String... extra) {
        EdgeProcess p = new EdgeProcess(EdgeNodeMain.class, dataDir.resolveSibling(dataDir.getFileName() + ".log"),
                jvmArgs, new ArrayList<>());
        if (origin != null) {
            p.args.addAll(List.of("--origin", origin));
        }
        p.args.addAll(List.of("--listen", "127.0.0.1:" + p.port, "--admin", "127.0.0.1:" + p.adminPort,
                "--data-dir", dataDir.toString(), "--access-log", "off", "--node-id", "edge-child"));
        p.args.addAll(List.of(extra));
        return p;
    }

    /** Another main class; {@code args} may use {@code {port}} and {@code {admin}} for this object's ports. */
    public static EdgeProcess of(Class<?> mainClass, Path log, List<String> jvmArgs, String... args) {
        EdgeProcess p = new EdgeProcess(mainClass, log, jvmArgs, new ArrayList<>());
        for (String a : args) {
            p.args.add(a.replace("{port}", Integer.toString(p.port)).replace("{admin}", Integer.toString(p.adminPort)));
        }
        return p;
    }

    /** Starts the JVM and waits until the admin listener answers {@code /healthz}. */
    public EdgeProcess start() {
        List<String> jvmOptions = new ArrayList<>(jvmArgs);
        jvmOptions.add("--sun-misc-unsafe-memory-access=allow");
        jvm = ChildJvm.start(mainClass, log, jvmOptions, args.toArray(String[]::new));
        Await.until("node healthy (log: " + log + ")", Duration.ofSeconds(90), () -> {
            if (!jvm.isAlive()) {
                throw new AssertionError("node exited with " + jvm.process().exitValue() + ": " + tail(jvm.logText()));
            }
            try {
                return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/healthz"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        return this;
    }

    private static String tail(String text) {
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    /** kill -9. */
    public void kill() {
        jvm.kill();
    }

    /** SIGTERM; the exit code. */
    public int terminate() {
        return jvm.terminate(Duration.ofSeconds(60));
    }

    public boolean isAlive() {
        return jvm != null && jvm.isAlive();
    }

    public long pid() {
        return jvm.pid();
    }

    public String logText() {
        return jvm.logText();
    }

    /** A response whose body was checked by CRC rather than kept. */
    public record Checked(int status, long length, long crc, String cacheStatus, long contentLength, String age) {
        public boolean hit() {
            return cacheStatus.contains("; hit");
        }
    }

    /** GET on the client listener; the body is streamed through a CRC. Throws if the body is cut off. */
    public Checked get(String path, String... headers) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofMinutes(2));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            CRC32 crc = new CRC32();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = r.body()) {
                int k;
                while ((k = in.read(buf)) != -1) {
                    crc.update(buf, 0, k);
                    n += k;
                }
            }
            return new Checked(r.statusCode(), n, crc.getValue(), r.headers().firstValue("Cache-Status").orElse(""),
                    r.headers().firstValueAsLong("Content-Length").orElse(-1), r.headers().firstValue("Age").orElse(null));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** GET on the admin listener. */
    public String admin(String path) {
        return adminCall(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).GET().build()).body();
    }

    /** POST a JSON document to the admin listener. */
    public HttpResponse<String> adminPost(String path, String json, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return adminCall(b.build());
    }

    private HttpResponse<String> adminCall(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public double metric(String name, String... labels) {
        return PrometheusText.sum(admin("/metrics"), name, labels);
    }

    @Override
    public void close() {
        if (jvm != null) {
            jvm.close();
        }
    }
}
