package dev.outpost.edge.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.HeldConnections;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The edge's admin listener held open by trickled request heads: one address gets at most
 * {@code admin-limits.max-connections-per-client} connections (the rest 429 and closed), a
 * head not complete within {@code admin-limits.header-timeout} is cut off, and meanwhile
 * {@code /healthz} and hits are answered for other clients. File descriptors and threads are
 * recorded before, at the peak and after.
 */
class AdminListenerLimitsTest {

    private static final String TRICKLED_HEAD = "GET /metrics HTTP/1.1\r\nHost: admin\r\nX-Slow: ";

    @Test
    void trickledHeadsFromOneAddressLeaveHealthzAnswering() {
        run(1, 150, 10);
    }

    /** 30 addresses at once, 40 connections each. */
    @Test
    @Tag("long")
    void trickledHeadsFromManyAddresses() {
        run(30, 40, 10);
    }

    private void run(int addresses, int perAddress, int limit) {
        try (TestEdge edge = TestEdge.withOrigin("http://127.0.0.1:9")
                .yaml("admin-limits: {max-connections-per-client: " + limit + ", header-timeout: 3s, idle-timeout: 5s}").start()) {
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", edge.node().adminPort());
            long fdBefore = HeldConnections.fileDescriptors();
            int threadsBefore = HeldConnections.threads();
            List<HeldConnections> held = new ArrayList<>();
            try {
                for (int a = 0; a < addresses; a++) {
                    held.add(HeldConnections.open("127.0.2." + (a + 1), admin, perAddress, TRICKLED_HEAD));
                }
                long fdPeak = HeldConnections.fileDescriptors();
                int threadsPeak = HeldConnections.threads();
                for (int i = 0; i < 5; i++) {
                    held.forEach(h -> h.drip((byte) 'x'));
                    HttpResponse<String> health = edge.admin("/healthz");
                    assertThat(health.statusCode()).as("/healthz while the admin listener is held").isEqualTo(200);
                }
                double expected = (double) addresses * (perAddress - limit);
                Await.until("connections past the limit refused", Duration.ofSeconds(10),
                        () -> edge.metric("outpost_connections_refused_total", "listener", "admin") == expected);
                for (HeldConnections h : held) {
                    Await.until("trickled heads cut off", Duration.ofSeconds(30), () -> {
                        h.drip((byte) 'y');
                        return h.closedByServer() == perAddress;
                    });
                }
                assertThat(edge.metric("outpost_connections_refused_total", "listener", "client"))
                        .as("the client listener's own count").isZero();
                held.forEach(HeldConnections::close);
                Await.until("descriptors released", Duration.ofSeconds(10),
                        () -> HeldConnections.fileDescriptors() <= fdBefore + 10);
                System.out.printf("edge admin listener: %d trickled heads from %d address(es): fds %d -> %d -> %d, threads %d -> %d -> %d,"
                                + " %.0f refused at once (429), the rest cut off at the 3 s head timeout; /healthz answered throughout%n",
                        addresses * perAddress, addresses, fdBefore, fdPeak, HeldConnections.fileDescriptors(),
                        threadsBefore, threadsPeak, HeldConnections.threads(), expected);
            } finally {
                held.forEach(HeldConnections::close);
            }
        }
    }
}
