package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.ListenerLimits;
import dev.outpost.config.fleet.Heartbeat;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.testing.Await;
import dev.outpost.testing.HeldConnections;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.PrometheusText;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's API listener held open by trickled request heads: one address gets at
 * most {@code limits.max-connections-per-client} connections (the rest 429 and closed), a head
 * not complete within {@code limits.header-timeout} is cut off, and meanwhile a node's
 * heartbeats from another address are answered. File descriptors and threads of the process
 * are recorded before, at the peak and after.
 */
class ApiListenerLimitsTest {

    private static final String TRICKLED_HEAD = "GET /v1/nodes HTTP/1.1\r\nHost: cp\r\nX-Slow: ";

    @TempDir
    Path dir;

    private TestControlPlane start(int perClient) {
        return new TestControlPlane(dir.resolve("cp"), new ManualClock(),
                c -> c.withLimits(new ListenerLimits(perClient, Duration.ofSeconds(3), Duration.ofSeconds(5))))
                .start();
    }

    @Test
    void trickledHeadsFromOneAddressCannotStarveHeartbeats() {
        run(1, 200, 20);
    }

    /** Many addresses at once, each past its limit: 40 addresses, 60 connections each. */
    @Test
    @Tag("long")
    void trickledHeadsFromManyAddresses() {
        run(40, 60, 20);
    }

    private void run(int addresses, int perAddress, int limit) {
        try (TestControlPlane cp = start(limit)) {
            cp.post("/v1/nodes/register", TestControlPlane.NODE, new NodeRegistration("eu-1", "eu", null, null, null, null, null, null));
            InetSocketAddress api = new InetSocketAddress("127.0.0.1", cp.cp().address().getPort());
            long fdBefore = HeldConnections.fileDescriptors();
            int threadsBefore = HeldConnections.threads();
            List<HeldConnections> held = new ArrayList<>();
            try {
                for (int a = 0; a < addresses; a++) {
                    held.add(HeldConnections.open("127.0.1." + (a + 1), api, perAddress, TRICKLED_HEAD));
                }
                long fdPeak = HeldConnections.fileDescriptors();
                int threadsPeak = HeldConnections.threads();
                // while they are held, a node heartbeats from another address and is answered
                for (int i = 0; i < 5; i++) {
                    held.forEach(h -> h.drip((byte) 'x'));
                    assertThat(cp.post("/v1/nodes/eu-1/heartbeat", TestControlPlane.NODE, new Heartbeat(null, 0L, 0L)).status())
                            .isBetween(200, 204);
                }
                assertThat(cp.get("/healthz", null).status()).isEqualTo(200);
                // past the limit: 429 and closed at once
                double expected = (double) addresses * (perAddress - limit);
                Await.until("connections past the limit refused", Duration.ofSeconds(10), () -> PrometheusText.sum(
                        cp.meters().scrape(), "outpost_connections_refused_total", "listener", "api") == expected);
                // the trickled heads are cut off at the head timeout, however they drip
                for (HeldConnections h : held) {
                    Await.until("trickled heads cut off", Duration.ofSeconds(30), () -> {
                        h.drip((byte) 'y');
                        return h.closedByServer() == perAddress;
                    });
                }
                double refused = PrometheusText.sum(cp.meters().scrape(), "outpost_connections_refused_total", "listener", "api");
                assertThat(refused).isEqualTo(expected);
                held.forEach(HeldConnections::close);
                Await.until("descriptors released", Duration.ofSeconds(10),
                        () -> HeldConnections.fileDescriptors() <= fdBefore + 10);
                System.out.printf("control-plane API: %d trickled heads from %d address(es): fds %d -> %d -> %d, threads %d -> %d -> %d,"
                                + " %d refused at once (429), the rest cut off at the 3 s head timeout; heartbeats answered throughout%n",
                        addresses * perAddress, addresses, fdBefore, fdPeak, HeldConnections.fileDescriptors(),
                        threadsBefore, threadsPeak, HeldConnections.threads(), (long) refused);
            } finally {
                held.forEach(HeldConnections::close);
            }
        }
    }
}
