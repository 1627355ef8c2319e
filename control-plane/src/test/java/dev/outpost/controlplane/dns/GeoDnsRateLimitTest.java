package dev.outpost.controlplane.dns;

import static dev.outpost.controlplane.dns.DnsTestKit.addresses;
import static dev.outpost.controlplane.dns.DnsTestKit.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/** Response rate limiting: a source past its rate gets drops and, every slip-th time, a truncated reply; TCP is never limited. */
class GeoDnsRateLimitTest {

    @Test
    void pastTheBurstResponsesAreDroppedOrSlippedUntilTheClockRefillsTheBucket() {
        try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), """
                rate-limit: {responses-per-second: 5, burst: 10, slip: 2}
                """)) {
            byte[] q = query(DnsTestKit.ZONE, Type.A).toWire();
            for (int i = 0; i < 10; i++) {
                Message m = GeoDnsProtocolTest.parse(kit.raw(q, Duration.ofSeconds(2)));
                assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
            }
            List<byte[]> limited = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                limited.add(kit.raw(q, Duration.ofMillis(300)));
            }
            // drop, slip, drop, slip, drop, slip
            assertThat(limited).filteredOn(b -> b == null).hasSize(3);
            assertThat(limited).filteredOn(b -> b != null).hasSize(3).allSatisfy(b -> {
                Message m = GeoDnsProtocolTest.parse(b);
                assertThat(m.getHeader().getFlag(Flags.TC)).isTrue();
                assertThat(m.getSection(org.xbill.DNS.Section.ANSWER)).isEmpty();
            });
            assertThat(kit.metric("outpost_dns_rate_limited_total{action=\"drop\"}")).isEqualTo(3);
            assertThat(kit.metric("outpost_dns_rate_limited_total{action=\"slip\"}")).isEqualTo(3);
            // TCP is exempt: the source is proven
            assertThat(addresses(kit.send(query(DnsTestKit.ZONE, Type.A), true))).isNotEmpty();
            // one second later five more responses are allowed
            kit.clock.advanceSeconds(1);
            for (int i = 0; i < 5; i++) {
                Message m = GeoDnsProtocolTest.parse(kit.raw(q, Duration.ofSeconds(2)));
                assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
                assertThat(addresses(m)).isNotEmpty();
            }
            assertThat(kit.raw(q, Duration.ofMillis(300))).isNull();
        }
    }

    @Test
    void exemptNetworksAndZeroRateAreNeverLimited() {
        for (String settings : List.of("rate-limit: {responses-per-second: 1, burst: 1, exempt: [127.0.0.0/8]}",
                "rate-limit: {responses-per-second: 0}")) {
            try (DnsTestKit kit = new DnsTestKit(FakeEdgeDirectory.world(), settings)) {
                byte[] q = query(DnsTestKit.ZONE, Type.A).toWire();
                for (int i = 0; i < 30; i++) {
                    assertThat(kit.raw(q, Duration.ofSeconds(2))).as(settings).isNotNull();
                }
            }
        }
    }
}
