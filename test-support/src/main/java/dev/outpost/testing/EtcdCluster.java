package dev.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real etcd cluster (1 or 3 members) on free loopback ports, its data in a directory the test
 * owns, for tests of the control plane's shared store. Members can be killed with SIGKILL and
 * started again on the same ports and data. Uses the {@code etcd} binary on the PATH (Debian's
 * {@code etcd-server} package) or the one {@code OUTPOST_ETCD} names; tests call
 * {@link #assumeAvailable()} so they skip with a note where it is not installed.
 */
public final class EtcdCluster implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Path dir;
    private final List<Member> members = new ArrayList<>();
    private final String initialCluster;
    private final String token = "outpost-test-" + UUID.randomUUID();

    private EtcdCluster(Path dir, int size) {
        this.dir = dir;
        StringJoiner cluster = new StringJoiner(",");
        for (int i = 0; i < size; i++) {
            Member m = new Member("m" + i, Ports.free(), Ports.free());
            members.add(m);
            cluster.add(m.name + "=http://127.0.0.1:" + m.peerPort);
        }
        this.initialCluster = cluster.toString();
    }

    /** The etcd binary, or null when there is none. */
    public static Path binary() {
        String env = System.getenv("OUTPOST_ETCD");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Path.of(env);
        }
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(d, "etcd");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Skips the calling test (JUnit assumption) when etcd is not installed. */
    public static void assumeAvailable() {
        Assumptions.assumeTrue(binary() != null,
                "etcd is not installed (Debian: apt-get install etcd-server; or set OUTPOST_ETCD): skipping the etcd tests");
    }

    /** Starts {@code size} members under {@code dir} and returns once every one answers /health. */
    public static EtcdCluster start(Path dir, int size) {
        EtcdCluster c = new EtcdCluster(dir, size);
        try {
            for (int i = 0; i < size; i++) {
                c.startMember(i);
            }
            for (int i = 0; i < size; i++) {
                c.awaitHealthy(i, Duration.ofSeconds(60));
            }
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Client URLs of every member, e.g. {@code http://127.0.0.1:23791}. */
    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    /** Client URL of member {@code i}. */
    public String endpoint(int i) {
        return members.get(i).clientUrl();
    }

    public int size() {
        return members.size();
    }

    /** Kills member {@code i} with SIGKILL and waits until it is gone. */
    public void kill(int i) {
        Member m = members.get(i);
        if (m.process != null) {
            m.process.destroyForcibly();
            try {
                m.process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.process = null;
        }
    }

    /** Starts member {@code i} again (same ports, same data) and waits until it is healthy. */
    public void restart(int i) {
        startMember(i);
        awaitHealthy(i, Duration.ofSeconds(60));
    }

    /** Whether member {@code i} answers its /health endpoint with {@code "health":"true"}. */
    public boolean healthy(int i) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint(i) + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void awaitHealthy(int i, Duration timeout) {
        Await.until("etcd member " + i + " healthy at " + endpoint(i) + " (log: " + dir.resolve(members.get(i).name + ".log") + ")",
                timeout, () -> healthy(i));
    }

    private void startMember(int i) {
        Member m = members.get(i);
        Path bin = binary();
        if (bin == null) {
            throw new IllegalStateException("etcd is not installed");
        }
        try {
            Files.createDirectories(dir);
            m.process = new ProcessBuilder(bin.toString(),
                    "--name", m.name,
                    "--data-dir", dir.resolve(m.name).toString(),
                    "--listen-client-urls", m.clientUrl(),
                    "--advertise-client-urls", m.clientUrl(),
                    "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort,
                    "--initial-advertise-peer-urls", "http://127.0.0.1:" + m.peerPort,
                    "--initial-cluster", initialCluster,
                    "--initial-cluster-token", token,
                    "--initial-cluster-state", "new")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(m.name + ".log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start etcd " + bin, e);
        }
    }

    /** Kills every member. */
    @Override
    public void close() {
        for (int i = 0; i < members.size(); i++) {
            kill(i);
        }
    }

    private static final class Member {
        final String name;
        final int clientPort;
        final int peerPort;
        Process process;

        Member(String name, int clientPort, int peerPort) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }

        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }
    }
}
