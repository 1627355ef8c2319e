package dev.outpost.loadtest.system;

import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Availability, versions and start-up of the systems under test. */
public final class Systems {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private final BenchEnv env;

    public Systems(BenchEnv env) {
        this.env = env;
    }

    public BenchEnv env() {
        return env;
    }

    /** Why a system cannot be measured in this run, or empty when it can. */
    public Optional<String> unavailable(SystemKind kind) {
        return switch (kind) {
            case NGINX -> Proc.exists("nginx") ? Optional.empty()
                    : Optional.of("nginx is not installed (run load-tests/run as root to install it, or apt-get install nginx)");
            case VARNISH -> Proc.exists("varnishd") ? Optional.empty()
                    : Optional.of("varnishd is not installed (run load-tests/run as root to install it, or apt-get install varnish)");
            case ATS -> Proc.exists("traffic_server") ? Optional.empty()
                    : Optional.of("traffic_server is not installed (run load-tests/run as root to install it, or apt-get install trafficserver)");
            case OUTPOST -> OutpostSystem.unavailable(env);
        };
    }

    /** The version a system reports, for the machine description. */
    public String version(SystemKind kind) {
        return switch (kind) {
            case NGINX -> firstLine(Proc.run(Optional.empty(), Duration.ofSeconds(10), List.of("nginx", "-v")));
            case VARNISH -> firstLine(Proc.run(Optional.empty(), Duration.ofSeconds(10), List.of("varnishd", "-V")));
            case ATS -> firstLine(Proc.run(Optional.empty(), Duration.ofSeconds(10), List.of("traffic_server", "-V")));
            case OUTPOST -> OutpostSystem.version(env);
        };
    }

    /** Starts a fresh instance (empty cache) in its own directory and waits until it answers. */
    public CacheSystem start(SystemKind kind, String originUrl, Sizing sizing) throws StartException {
        Path dir = env.workDir().resolve("systems").resolve(kind.id() + "-" + SEQ.incrementAndGet());
        try {
            if (Files.exists(dir)) {
                deleteTree(dir);
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartException(kind.display() + ": cannot prepare " + dir + ": " + e.getMessage());
        }
        return switch (kind) {
            case NGINX -> NginxSystem.start(env, dir, originUrl, sizing);
            case VARNISH -> VarnishSystem.start(env, dir, originUrl, sizing);
            case ATS -> TrafficServerSystem.start(env, dir, originUrl, sizing);
            case OUTPOST -> OutpostSystem.start(env, dir, originUrl, sizing);
        };
    }

    /**
     * Starts a system as a WebSocket reverse proxy in front of {@code originUrl}: Outpost as it
     * comes (WebSocket is allowed by default), nginx with {@code proxy_pass} and the
     * {@code Upgrade}/{@code Connection} headers, ATS with a {@code ws://} remap rule. Varnish is
     * not set up for WebSocket here ({@code pipe} in VCL would be needed): refused with a reason.
     */
    public CacheSystem startWebSocketProxy(SystemKind kind, String originUrl) throws StartException {
        if (kind == SystemKind.VARNISH) {
            throw new StartException("Varnish: no WebSocket set-up in this suite (it would need return (pipe) in VCL)");
        }
        Path dir = env.workDir().resolve("systems").resolve(kind.id() + "-ws-" + SEQ.incrementAndGet());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartException(kind.display() + ": cannot prepare " + dir + ": " + e.getMessage());
        }
        return switch (kind) {
            case NGINX -> NginxSystem.startWebSocket(env, dir, originUrl);
            case ATS -> TrafficServerSystem.startWebSocket(env, dir, originUrl);
            default -> OutpostSystem.start(env, dir, originUrl, Sizing.roomy(), List.of());
        };
    }

    /** The rule Outpost runs with in the compression scenario: text compressed, gzip at nginx's level 6. */
    public static final String OUTPOST_COMPRESS_RULES =
            "[{match: {path-prefix: /text/}, compress: {enabled: true, encodings: [br, zstd, gzip], level: {gzip: 6, br: 4, zstd: 3}}}]";

    /**
     * Starts a system as a caching proxy that compresses text on the way out: Outpost with a
     * {@code compress} rule ({@link #OUTPOST_COMPRESS_RULES}), nginx with {@code gzip on}.
     * Varnish is not set up for it here ({@code beresp.do_gzip} in VCL would be needed): refused
     * with a reason.
     */
    public CacheSystem startCompressing(SystemKind kind, String originUrl) throws StartException {
        if (kind == SystemKind.VARNISH) {
            throw new StartException("Varnish: no compression set-up in this suite (it would need beresp.do_gzip in VCL)");
        }
        if (kind != SystemKind.NGINX && kind != SystemKind.OUTPOST) {
            throw new StartException(kind.display() + ": no compression set-up in this suite (ATS would need its compress plugin)");
        }
        Path dir = env.workDir().resolve("systems").resolve(kind.id() + "-gz-" + SEQ.incrementAndGet());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartException(kind.display() + ": cannot prepare " + dir + ": " + e.getMessage());
        }
        return kind == SystemKind.NGINX ? NginxSystem.startGzip(env, dir, originUrl)
                : OutpostSystem.start(env, dir, originUrl, Sizing.roomy(), List.of("--rules", OUTPOST_COMPRESS_RULES));
    }

    /**
     * Starts an Outpost node with flags beyond the standalone ones (e.g. {@code --role shield},
     * {@code --shield URL}, {@code --node-id ID}), for the fleet scenarios.
     */
    public CacheSystem startOutpost(String originUrl, Sizing sizing, List<String> extraFlags) throws StartException {
        Path dir = env.workDir().resolve("systems").resolve("outpost-" + SEQ.incrementAndGet());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartException("Outpost: cannot prepare " + dir + ": " + e.getMessage());
        }
        return OutpostSystem.start(env, dir, originUrl, sizing, extraFlags);
    }

    /** A system that would not start: the message says why in one line. */
    public static final class StartException extends Exception {
        public StartException(String message) {
            super(message);
        }
    }

    static String firstLine(Proc.Result r) {
        String s = (r.stdout() + "\n" + r.stderr()).strip();
        return s.isEmpty() ? "unknown" : s.lines().findFirst().orElse("unknown").strip();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a system's work directory (caches can be gigabytes). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: the next run starts in a new directory anyway
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
