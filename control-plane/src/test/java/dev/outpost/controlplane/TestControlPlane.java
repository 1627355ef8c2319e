package dev.outpost.controlplane;

import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.HostPort;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.RateLimit;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.UnaryOperator;

/**
 * A real control plane on a loopback port for tests, with one token per scope, that can be
 * stopped and started again on the same data directory and port.
 */
class TestControlPlane implements AutoCloseable {

    static final String ALL = "all-scopes-token";
    static final String READ = "read-only-token";
    static final String WRITE = "write-scope-token";
    static final String NODE = "node-scope-token";

    final Path dataDir;
    final InstantSource clock;
    private final UnaryOperator<ControlPlaneConfig> tweak;
    private int port;
    private ControlPlane cp;
    private boolean serving;
    private PrometheusMeterRegistry meters;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    TestControlPlane(Path dataDir, InstantSource clock) {
        this(dataDir, clock, c -> c);
    }

    TestControlPlane(Path dataDir, InstantSource clock, UnaryOperator<ControlPlaneConfig> tweak) {
        this.dataDir = dataDir;
        this.clock = clock;
        this.tweak = tweak;
    }

    static ControlPlaneConfig config(Path dataDir, int port) {
        return new ControlPlaneConfig(new HostPort("127.0.0.1", port), null, null, null, dataDir.toString(),
                ALL, READ, WRITE, null, NODE, Duration.ofSeconds(15), new RateLimit(1000.0, 1000, null),
                null, null, Duration.ofMillis(200), Duration.ofSeconds(2));
    }

    /**
     * Opens the control plane on its data directory without serving: its store and purge log
     * can be written in-process ({@link #cp()}) while no node can reach it, until {@link #start()}.
     */
    TestControlPlane open() {
        if (cp == null) {
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            cp = new ControlPlane(tweak.apply(config(dataDir, port)), clock, meters);
            serving = false;
        }
        return this;
    }

    /** Opens (unless {@link #open()} did) and serves, on the port it had before if it ran already. */
    TestControlPlane start() {
        open();
        if (!serving) {
            cp.start();
            serving = true;
            port = cp.address().getPort();
        }
        return this;
    }

    void stop() {
        if (cp != null) {
            cp.close();
            cp = null;
            serving = false;
        }
    }

    TestControlPlane restart() {
        stop();
        return start();
    }

    ControlPlane cp() {
        return cp;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    PrometheusMeterRegistry meters() {
        return meters;
    }

    record Resp(int status, String body, HttpResponse<String> raw) {
        <T> T as(Class<T> type) {
            try {
                return OutpostJson.json().readValue(body, type);
            } catch (IOException e) {
                throw new AssertionError("not a " + type.getSimpleName() + ": " + body, e);
            }
        }

        <T> T as(com.fasterxml.jackson.core.type.TypeReference<T> type) {
            try {
                return OutpostJson.json().readValue(body, type);
            } catch (IOException e) {
                throw new AssertionError("not the expected JSON: " + body, e);
            }
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Resp get(String path, String token) {
        return send(HttpRequest.newBuilder(URI.create(url() + path)).GET(), token);
    }

    Resp post(String path, String token, String body) {
        return send(HttpRequest.newBuilder(URI.create(url() + path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)), token);
    }

    Resp post(String path, String token, Object json) {
        try {
            return post(path, token, OutpostJson.json().writeValueAsString(json));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    Resp delete(String path, String token) {
        return send(HttpRequest.newBuilder(URI.create(url() + path)).DELETE(), token);
    }

    Resp send(HttpRequest.Builder b, String token) {
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Resp(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
