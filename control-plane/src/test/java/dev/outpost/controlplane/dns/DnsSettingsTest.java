package dev.outpost.controlplane.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigProblem;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.DnsSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code dns:} block of the control plane's YAML: defaults, every key, and errors that name file, line and key. */
class DnsSettingsTest {

    static final ConfigReader<ControlPlaneConfig> READER =
            new ConfigReader<>(ControlPlaneConfig.class, c -> c.dns().problems("dns.", c.zone()));

    @Test
    void defaultsAreSafe() {
        DnsSettings d = DnsSettings.DEFAULT;
        assertThat(d.ttl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.degradedTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.answers()).isEqualTo(1);
        assertThat(d.maxUdpPayload()).isEqualTo(1232);
        assertThat(d.rateLimit().responsesPerSecond()).isEqualTo(100.0);
        assertThat(d.rateLimit().burst()).isEqualTo(200);
        assertThat(d.problems("dns.", "cdn.example.test")).isEmpty();
        assertThat(d.names()).extracting(DnsSettings.Name::name).containsExactly("www");
    }

    @Test
    void everyKeyReads() {
        ControlPlaneConfig c = READER.parse("cp.yaml", """
                zone: cdn.example.test
                dns:
                  ttl: 1m
                  degraded-ttl: 10s
                  answers: 2
                  zones: [edge.example.net]
                  names:
                    - {name: img, pool: images, answers: 3, ttl: 2m}
                  nameservers: [{name: ns1, addresses: [192.0.2.53]}]
                  soa: {rname: ops.example.test, minimum: 1m}
                  fallback: {region: eu-central}
                  overrides:
                    - {network: 198.51.100.0/24, region: us-east}
                    - {country: AU, coordinates: "35.6,139.7"}
                  region-weights: {us-east: 2}
                  near-km: 300
                  fallback-answers: 3
                  static-fallback: [192.0.2.80]
                  rate-limit: {responses-per-second: 50, slip: 3, exempt: [10.0.0.0/8]}
                  max-udp-payload: 1400
                  geoip-check-interval: 1m
                  tcp-max-connections: 64
                  tcp-idle-timeout: 5s
                  udp-threads: 1
                """).value();
        DnsSettings d = c.dns();
        assertThat(d.ttl()).isEqualTo(Duration.ofMinutes(1));
        assertThat(d.names().getFirst().pool()).isEqualTo("images");
        assertThat(d.overrides().get(1).coordinates().latitude()).isEqualTo(35.6);
        assertThat(d.regionWeights()).isEqualTo(Map.of("us-east", 2.0));
        assertThat(d.rateLimit().burst()).isEqualTo(100);
        assertThat(d.soa().minimum()).isEqualTo(Duration.ofMinutes(1));
        // and a server starts from it
        new GeoDnsServer(c, new FakeEdgeDirectory(), new SimpleMeterRegistry(), java.time.InstantSource.system()).close();
    }

    @Test
    void problemsNameTheKey() {
        DnsSettings bad = DnsTestKit.config("""
                ttl: 0s
                degraded-ttl: 1m
                answers: 0
                names: [{name: "bad name!"}, {pool: x}]
                fallback: {coordinates: "0,0"}
                overrides: [{country: germany, region: eu}, {network: 10.0.0.0/33, country: DE, region: x}]
                region-weights: {us-east: -1}
                static-fallback: [not-an-ip]
                rate-limit: {responses-per-second: -1, ipv4-prefix: 40}
                max-udp-payload: 100
                """, null).dns();
        List<String> paths = bad.problems("dns.", "cdn.example.test").stream().map(ConfigProblem::path).toList();
        assertThat(paths).contains("dns.ttl", "dns.degraded-ttl", "dns.answers", "dns.names[0].name", "dns.names[1].name",
                "dns.fallback.coordinates", "dns.overrides[0].country", "dns.overrides[1]", "dns.overrides[1].network",
                "dns.region-weights.us-east", "dns.static-fallback[0]", "dns.rate-limit.responses-per-second",
                "dns.rate-limit.ipv4-prefix", "dns.max-udp-payload");
    }

    @Test
    void readerReportsFileLineAndKey() {
        assertThatThrownBy(() -> READER.parse("cp.yaml", """
                zone: cdn.example.test
                dns:
                  answers: 100
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("cp.yaml:3")
                .hasMessageContaining("dns.answers");
        assertThatThrownBy(() -> new GeoDnsServer(DnsTestKit.config("answers: 0", null), new FakeEdgeDirectory(),
                new SimpleMeterRegistry(), java.time.InstantSource.system()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dns.answers");
    }
}
