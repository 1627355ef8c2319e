package dev.outpost.edge;

import dev.outpost.config.ConfigReader;
import dev.outpost.config.NodeConfig;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.PrometheusText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An edge node for tests: real listeners on port 0, a real disk tier in a temp dir, a manual
 * clock, config given as YAML (so tests go through the real reader). Requests go over real
 * sockets with the JDK's HTTP client.
 *
 * <pre>{@code
 * try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("cache: {memory-size: 1MiB}").start()) {
 *     HttpResponse<String> r = edge.get("/a");
 * }
 * }</pre>
 */
public final class TestEdge implements AutoCloseable {

    private final String yaml;
    private final Map<String, Object> flags;
    private final ManualClock clock;
    private final Path dataDir;
    private final boolean ownsDir;
    private EdgeNode node;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TestEdge(String yaml, Map<String, Object> flags, ManualClock clock, Path dataDir, boolean ownsDir) {
        this.yaml = yaml;
        this.flags = flags;
        this.clock = clock;
        this.dataDir = dataDir;
        this.ownsDir = ownsDir;
    }

    /** A clock at the current whole second, so origins' Date fields agree with it. */
    public static ManualClock wallClock() {
        return new ManualClock(Instant.ofEpochSecond(System.currentTimeMillis() / 1000));
    }

    public static Builder withOrigin(String originUrl) {
        return new Builder().flag("origin", originUrl);
    }

    /** Builds a test edge. */
    public static final class Builder {
        private final StringBuilder yaml = new StringBuilder();
        private final Map<String, Object> flags = new LinkedHashMap<>();
        private ManualClock clock;
        private Path dataDir;
        private boolean defaultNodeId;

        public Builder yaml(String text) {
            yaml.append(text).append('\n');
            return this;
        }

        public Builder flag(String key, Object value) {
            flags.put(key, value);
            return this;
        }

        public Builder clock(ManualClock c) {
            this.clock = c;
            return this;
        }

        /** Leaves {@code node-id} unset, so the node takes its default (host name and port). */
        public Builder defaultNodeId() {
            this.defaultNodeId = true;
            return this;
        }

        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        public TestEdge start() {
            try {
                boolean owns = dataDir == null;
                Path dir = owns ? Files.createTempDirectory("outpost-edge") : dataDir;
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("listen", "127.0.0.1:0");
                f.put("admin", "127.0.0.1:0");
                f.put("data-dir", dir.toString());
                f.put("access-log", "off");
                f.put("node-id", "edge-test");
                f.putAll(flags);
                if (defaultNodeId) {
                    f.remove("node-id");
                }
                TestEdge e = new TestEdge(yaml.toString(), f, clock == null ? wallClock() : clock, dir, owns);
                e.startNode();
                return e;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void startNode() throws IOException {
        Path file = Files.createTempFile("edge", ".yaml");
        Files.writeString(file, yaml);
        ConfigReader.Loaded<NodeConfig> loaded = ConfigReader.node().read(file, flags);
        node = EdgeNode.start(loaded.value(), loaded.source(), clock);
    }

    /** Stops the node (gracefully); {@link #restart} starts it again on the same ports and data. */
    public void stop() {
        if (node != null) {
            flags.put("listen", "127.0.0.1:" + node.port());
            flags.put("admin", "127.0.0.1:" + node.adminPort());
            node.close();
            node = null;
        }
    }

    /** Stops the node if running and starts a new one on the same data directory, config and ports. */
    public TestEdge restart() {
        stop();
        try {
            startNode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public EdgeNode node() {
        return node;
    }

    public ManualClock clock() {
        return clock;
    }

    public Path dataDir() {
        return dataDir;
    }

    public int port() {
        return node.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + node.port() + path);
    }

    public String adminUrl(String path) {
        return "http://127.0.0.1:" + node.adminPort() + path;
    }

    /** GET with header name/value pairs. */
    public HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    public HttpResponse<byte[]> getBytes(String path, String... headers) {
        return call(request(uri(path), "GET", null, headers), HttpResponse.BodyHandlers.ofByteArray());
    }

    public HttpResponse<String> send(String method, String path, String body, String... headers) {
        return call(request(uri(path), method, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    /** GET on the admin listener. */
    public HttpResponse<String> admin(String path) {
        return call(request(URI.create(adminUrl(path)), "GET", null), HttpResponse.BodyHandlers.ofString());
    }

    /** POST a JSON document to the admin listener. */
    public HttpResponse<String> adminPost(String path, String json, String... headers) {
        String[] all = java.util.Arrays.copyOf(headers, headers.length + 2);
        all[headers.length] = "Content-Type";
        all[headers.length + 1] = "application/json";
        return call(request(URI.create(adminUrl(path)), "POST", json, all), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(URI uri, String method, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    private <T> HttpResponse<T> call(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return client.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of one Prometheus sample from {@code /metrics}, e.g. {@code outpost_requests_total{cache="hit",tier="memory"}}; labels given must all match. */
    public double metric(String name, String... labels) {
        return PrometheusText.sum(admin("/metrics").body(), name, labels);
    }

    @Override
    public void close() {
        if (node != null) {
            node.close();
        }
        if (ownsDir) {
            deleteRecursively(dataDir);
        }
    }

    static void deleteRecursively(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir
        }
    }
}
