package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Origin pool and shield settings: read from YAML, and refused with file, line and key when wrong. */
class OriginValidationTest {

    private static ConfigReader.Loaded<NodeConfig> read(String yaml) {
        return ConfigReader.node().parse("edge.yaml", yaml);
    }

    @Test
    void aFullOriginPoolReads() {
        NodeConfig n = read("""
                origins:
                  - name: default
                    algorithm: weighted-round-robin
                    hash-on: client-ip
                    host-header: origin.example.com
                    sni: origin.example.com
                    servers:
                      - {url: "https://10.0.0.1:8443", weight: 3, max-connections: 100}
                      - {url: "https://10.0.0.2:8443"}
                    health-check: {path: /healthz, expected-status: 204, interval: 2s, timeout: 500ms, fall: 2, rise: 3}
                    ejection: {consecutive-failures: 4, error-rate: 0.3, min-requests: 50, base-time: 5s, max-time: 2m}
                    retry: {attempts: 2, budget: 0.1}
                """).value();
        OriginConfig o = n.delivery().origins().get(0);
        assertThat(o.algorithm()).isEqualTo(OriginConfig.Algorithm.WEIGHTED_ROUND_ROBIN);
        assertThat(o.hashOn()).isEqualTo(OriginConfig.HashOn.CLIENT_IP);
        assertThat(o.servers().get(0).weight()).isEqualTo(3);
        assertThat(o.servers().get(1).maxConnections()).isZero();
        assertThat(o.healthCheck().expectedStatus()).isEqualTo(204);
        assertThat(o.ejection().minRequests()).isEqualTo(50);
        assertThat(o.retry().budget()).isEqualTo(0.1);
    }

    @Test
    void problemsNameTheKeyAndLine() {
        assertThatThrownBy(() -> read("""
                origins:
                  - name: default
                    sni: "*.example.com"
                    host-header: "bad host"
                    servers:
                      - url: http://a.example:80
                      - url: http://A.example
                    ejection: {min-requests: 0, base-time: 0s, max-time: 1s}
                """))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).anySatisfy(p ->
                                assertThat(p).contains("edge.yaml:3").contains("origins[0].sni").contains("not a host name"))
                        .anySatisfy(p -> assertThat(p).contains("origins[0].host-header"))
                        .anySatisfy(p -> assertThat(p).contains("edge.yaml:7").contains("origins[0].servers[1].url").contains("listed twice"))
                        .anySatisfy(p -> assertThat(p).contains("origins[0].ejection.min-requests"))
                        .anySatisfy(p -> assertThat(p).contains("origins[0].ejection.base-time")));
    }

    @Test
    void aShieldListedTwiceIsRefused() {
        assertThatThrownBy(() -> ConfigReader.node().read(null, Map.of("origin", "http://o.example",
                "shield", java.util.List.of("http://s1.example:8080", "http://s2.example:8080", "http://s1.example:8080"))))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .singleElement().asString().contains("shield[2]").contains("listed twice"));
        NodeConfig ok = ConfigReader.node().read(null, Map.of("origin", "http://o.example", "role", "shield",
                "shield", java.util.List.of("http://s1.example:8080"), "origin-fallback", "false")).value();
        assertThat(ok.role()).isEqualTo(NodeConfig.Role.SHIELD);
        assertThat(ok.originFallback()).isFalse();
    }
}
