package dev.outpost.loadtest.purge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.HostPort;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.RateLimit;
import dev.outpost.controlplane.ControlPlane;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Purge propagation to a fleet: a real control plane in process (RocksDB store, HTTP API, SSE
 * fan-out) and {@code --nodes} simulated nodes speaking the real protocol over loopback. Each
 * purge is timed by the control plane from acceptance (before the durable write) to the last
 * node's ack, and the client also times its request until the answer says complete. Prints one
 * JSON object with p50/p99. Target: p99 under 50 ms with 50 nodes.
 *
 * <p>Usage: {@code PurgePropagationBench [--nodes 50] [--purges 500] [--warmup 50]}
 */
public final class PurgePropagationBench {

    private PurgePropagationBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("nodes", "50", "purges", "500", "warmup", "50"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int nodes = Integer.parseInt(opts.get("nodes"));
        int purges = Integer.parseInt(opts.get("purges"));
        int warmup = Integer.parseInt(opts.get("warmup"));
        Path data = Files.createTempDirectory("outpost-purge-bench");
        String token = "bench-token-0123456789";
        ControlPlaneConfig config = new ControlPlaneConfig(new HostPort("127.0.0.1", 0), null, null, null, data.toString(),
                token, null, null, null, null, Duration.ofSeconds(30), new RateLimit(1e6, 1_000_000, null),
                null, null, null, Duration.ofSeconds(1))
                // every simulated node connects from loopback: lift the per-address limit
                .withLimits(new dev.outpost.config.ListenerLimits(100_000, null, null));
        List<SimulatedNode> fleet = new ArrayList<>();
        try (ControlPlane cp = new ControlPlane(config, InstantSource.system(),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start()) {
            URI base = cp.url();
            for (int i = 0; i < nodes; i++) {
                fleet.add(new SimulatedNode(base, token, String.format(Locale.ROOT, "sim-%03d", i)).start());
            }
            for (SimulatedNode n : fleet) {
                if (!n.synced.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("a simulated node did not subscribe");
                }
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            double[] server = new double[purges];
            double[] client = new double[purges];
            int incomplete = 0;
            for (int i = -warmup; i < purges; i++) {
                String body = "{\"kind\":\"url\",\"values\":[\"https://www.example.test/obj/" + i + "\"]}";
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/purges?wait=5s"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                long t1 = System.nanoTime();
                JsonNode status = OutpostJson.json().readTree(r.body());
                if (i < 0) {
                    continue;
                }
                if (!status.path("complete").asBoolean() || status.path("acked").size() != nodes) {
                    incomplete++;
                }
                JsonNode secs = status.get("propagation-seconds");
                server[i] = secs == null || secs.isNull() ? Double.NaN : secs.asDouble() * 1000;
                client[i] = (t1 - t0) / 1e6;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("benchmark", "purge-propagation");
            out.put("nodes", nodes);
            out.put("purges", purges);
            out.put("incomplete", incomplete);
            out.put("p50_ms", round(percentile(server, 50)));
            out.put("p99_ms", round(percentile(server, 99)));
            out.put("max_ms", round(percentile(server, 100)));
            out.put("client_p50_ms", round(percentile(client, 50)));
            out.put("client_p99_ms", round(percentile(client, 99)));
            out.put("target_p99_ms", 50);
            out.put("pass", incomplete == 0 && percentile(server, 99) < 50);
            System.out.println(OutpostJson.json().writeValueAsString(out));
        } finally {
            fleet.forEach(SimulatedNode::close);
            deleteTree(data);
        }
    }

    static double percentile(double[] values, double p) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int idx = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, idx))];
    }

    private static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
