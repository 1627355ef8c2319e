package dev.outpost.edge;

import dev.outpost.testing.Await;
import dev.outpost.testing.ChildJvm;
import dev.outpost.testing.Ports;
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
 * An edge node in its own JVM (the real main class, real flags), for tests that kill it with
 * SIGKILL or bound its heap. Ports are fixed at first start so restarts keep cache keys.
 */
final class ChildEdge implements AutoCloseable {

    private final Path dataDir;
    private final Path log;
    private final List<String> jvmArgs;
    private final List<String> args;
    final int port = Ports.free();
    final int adminPort = Ports.free();
    private ChildJvm jvm;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ChildEdge(String origin, Path dataDir, List<String> jvmArgs, String... extra) {
        this.dataDir = dataDir;
        this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        this.jvmArgs = jvmArgs;
        List<String> a = new ArrayList<>(List.of("--origin", origin, "--listen", "127.0.0.1:" + port,
                "--admin", "127.0.0.1:" + adminPort, "--data-dir", dataDir.toString(), "--access-log", "off",
                "--node-id", "edge-child"));
        a.addAll(List.of(extra));
        this.args = a;
    }

    ChildEdge start() {
        List<String> jvm = new ArrayList<>(jvmArgs);
        jvm.add("--sun-misc-unsafe-memory-access=allow");
        this.jvm = ChildJvm.start(EdgeNodeMain.class, log, jvm, args.toArray(String[]::new));
        Await.until("edge child healthy (log: " + log + ")", Duration.ofSeconds(60), () -> {
            if (!this.jvm.isAlive()) {
                throw new AssertionError("edge child exited: " + this.jvm.logText());
            }
            try {
                return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/healthz")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException | InterruptedException e) {
                return false;
            }
        });
        return this;
    }

    void kill() {
        jvm.kill();
    }

    int terminate() {
        return jvm.terminate(Duration.ofSeconds(30));
    }

    boolean isAlive() {
        return jvm.isAlive();
    }

    String logText() {
        return jvm.logText();
    }

    /** A response whose body was checked by CRC rather than kept. */
    record Checked(int status, long length, long crc, String cacheStatus, String age) {
    }

    Checked get(String path) {
        try {
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofInputStream());
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
                    r.headers().firstValue("Age").orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String admin(String path) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (jvm != null) {
            jvm.close();
        }
    }
}
