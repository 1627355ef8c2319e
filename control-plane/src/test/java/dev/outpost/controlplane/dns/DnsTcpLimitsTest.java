package dev.outpost.controlplane.dns;

import static dev.outpost.controlplane.dns.DnsTestKit.addresses;
import static dev.outpost.controlplane.dns.DnsTestKit.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import dev.outpost.testing.HeldConnections;
import dev.outpost.testing.PrometheusText;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/**
 * DNS over TCP held open: 260 idle connections from one address (more than every connection
 * slot) take only {@code tcp-max-connections-per-client} of them, the rest closed at once, and
 * a TCP query from another address is answered meanwhile; a client that drips a query a byte
 * at a time is cut off at {@code tcp-query-timeout}. File descriptors and threads are recorded
 * before, at the peak and after.
 */
class DnsTcpLimitsTest {

    private static final String YAML = """
            rate-limit: {responses-per-second: 0}
            tcp-max-connections: 256
            tcp-max-connections-per-client: 16
            tcp-idle-timeout: 30s
            tcp-query-timeout: 1s
            """;

    @Test
    void idleAndDrippingConnectionsFromOneAddressLeaveTcpAnswering() {
        run(1, 260);
    }

    /** Twelve addresses of 260 connections each: 3,120 connections, far past every slot. */
    @Test
    @Tag("long")
    void idleConnectionsFromManyAddresses() {
        run(12, 260);
    }

    private void run(int addressCount, int perAddress) {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), YAML)) {
            InetSocketAddress dns = new InetSocketAddress("127.0.0.1", kit.port());
            long fdBefore = HeldConnections.fileDescriptors();
            int threadsBefore = HeldConnections.threads();
            java.util.List<HeldConnections> held = new java.util.ArrayList<>();
            try {
                for (int a = 0; a < addressCount; a++) {
                    // idle: connected, nothing sent
                    held.add(HeldConnections.open("127.0.3." + (a + 1), dns, perAddress, ""));
                }
                long fdPeak = HeldConnections.fileDescriptors();
                int threadsPeak = HeldConnections.threads();
                for (HeldConnections h : held) {
                    Await.until("connections past 16 closed at once", Duration.ofSeconds(10),
                            () -> h.closedByServer() == perAddress - 16);
                }
                // another client is answered over TCP while the idle connections are held
                for (int i = 0; i < 5; i++) {
                    assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.A), true))).isNotEmpty();
                }
                assertThat(PrometheusText.sum(kit.registry.scrape(), "outpost_connections_refused_total", "listener", "dns-tcp"))
                        .isEqualTo((double) addressCount * (perAddress - 16));
                // a 256-byte query dripped a byte at a time is cut off at the 1 s query timeout
                try (HeldConnections drip = HeldConnections.open("127.0.4.1", dns, 1, "\u0001")) {
                    Await.until("dripping client cut off", Duration.ofSeconds(10), () -> {
                        drip.drip((byte) 0);
                        return drip.closedByServer() == 1;
                    });
                }
                held.forEach(HeldConnections::close);
                Await.until("descriptors released", Duration.ofSeconds(10),
                        () -> HeldConnections.fileDescriptors() <= fdBefore + 10);
                System.out.printf("dns tcp: %d idle connections from %d address(es): fds %d -> %d -> %d, threads %d -> %d -> %d,"
                                + " %d closed at once, TCP queries from another address answered throughout%n",
                        addressCount * perAddress, addressCount, fdBefore, fdPeak, HeldConnections.fileDescriptors(),
                        threadsBefore, threadsPeak, HeldConnections.threads(), addressCount * (perAddress - 16));
            } finally {
                held.forEach(HeldConnections::close);
            }
        }
    }
}
