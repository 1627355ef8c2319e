package dev.outpost.controlplane.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.outpost.config.ControlPlaneConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

/**
 * Jazzer fuzz target for the packet handler. Invariants for any bytes: no exception escapes
 * (the handler's own catch-all is never reached either), and a reply is a well-formed response
 * that echoes the query's id, with QR set, within the UDP size limit over UDP.
 *
 * <p>In the normal test command {@link DnsHandlerFuzzRunTest} fuzzes it for 10 s in a child JVM
 * (seed inputs under {@code DnsHandlerFuzzTestInputs/} first). For a long run:
 * {@code JAZZER_FUZZ=1 ./mvnw -pl control-plane -am verify -Dtest=DnsHandlerFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration=30m}, or raise maxDuration.
 */
@EnabledIfEnvironmentVariable(named = "JAZZER_FUZZ", matches = ".+",
        disabledReason = "fuzzed in a child JVM by DnsHandlerFuzzRunTest, so Jazzer's agent stays out of the test JVM")
class DnsHandlerFuzzTest {

    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
    private static final DnsHandler HANDLER = handler();

    static DnsHandler handler() {
        ControlPlaneConfig config = DnsTestKit.config("""
                names: [{name: www}, {name: img, pool: img, answers: 3}, {name: a.b.c}]
                zones: [edge.example.net]
                overrides: [{network: 203.0.113.128/25, region: sa-east}, {country: AU, region: ap-northeast}]
                nameservers: [{name: ns1, addresses: [192.0.2.53]}]
                """, DnsTestKit.testDatabase());
        FakeEdgeDirectory edges = FakeEdgeDirectory.world();
        DnsMetrics metrics = new DnsMetrics(REGISTRY);
        return new DnsHandler(new ZoneModel(config.zone(), config.dns(), 1), new Steering(config.dns(), edges),
                new GeoIpDatabase(DnsTestKit.testDatabase()), metrics, config.dns());
    }

    @FuzzTest(maxDuration = "10s")
    void handlerAnswersAnyBytesSafely(byte[] packet) throws IOException {
        boolean tcp = packet.length > 0 && (packet[packet.length - 1] & 1) == 1;
        byte[] reply = HANDLER.handle(packet, packet.length, InetAddress.getLoopbackAddress(),
                tcp ? DnsHandler.Transport.TCP : DnsHandler.Transport.UDP, false);
        assertThat(REGISTRY.find("outpost.dns.dropped").tag("reason", "internal-error").counter()).isNull();
        if (reply == null) {
            return;
        }
        Message m = new Message(reply);
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getHeader().getID()).isEqualTo((packet[0] & 0xff) << 8 | (packet[1] & 0xff));
        if (!tcp) {
            assertThat(reply.length).isLessThanOrEqualTo(1232);
        }
    }
}
