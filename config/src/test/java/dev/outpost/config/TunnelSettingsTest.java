package dev.outpost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tunnel settings (WebSocket and other upgrades): defaults, YAML keys and flags, and refusals by key. */
class TunnelSettingsTest {

    private static NodeConfig read(String yaml) {
        return ConfigReader.node().parse("edge.yaml", yaml).value();
    }

    @Test
    void defaultsAndKeys() {
        NodeConfig d = read("origin: http://o.example\n");
        assertThat(d.limits().tunnelIdleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.limits().maxTunnelsPerClient()).isEqualTo(64);
        assertThat(d.limits().maxTunnels()).isEqualTo(10_000);
        assertThat(Rule.BUILT_IN.websocket()).isEqualTo(Rule.WebSocket.ALLOW);
        assertThat(Rule.BUILT_IN.upgrades()).isEmpty();

        NodeConfig n = read("""
                origin: http://o.example
                limits: {tunnel-idle-timeout: 30s, max-tunnels-per-client: 8, max-tunnels: 100}
                rules:
                  - {match: {path-prefix: /ws/}, websocket: deny, upgrades: [foo, bar/2], tunnel-idle-timeout: 1m}
                """);
        assertThat(n.limits().tunnelIdleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(n.limits().maxTunnelsPerClient()).isEqualTo(8);
        assertThat(n.limits().maxTunnels()).isEqualTo(100);
        Rule r = n.delivery().rules().getFirst();
        assertThat(r.websocket()).isEqualTo(Rule.WebSocket.DENY);
        assertThat(r.upgrades()).containsExactly("foo", "bar/2");
        assertThat(r.tunnelIdleTimeout()).isEqualTo(Duration.ofMinutes(1));

        NodeConfig flags = ConfigReader.node().read(null, Map.of("origin", "http://o.example",
                "limits.max-tunnels", "7", "limits.tunnel-idle-timeout", "2m")).value();
        assertThat(flags.limits().maxTunnels()).isEqualTo(7);
        assertThat(flags.limits().tunnelIdleTimeout()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void wrongValuesAreRefusedByKey() {
        assertThatThrownBy(() -> read("""
                origin: http://o.example
                limits: {tunnel-idle-timeout: 0s, max-tunnels: -1, max-tunnels-per-client: -2}
                rules:
                  - {match: {path-prefix: /a/}, upgrades: [h2c, "bad token"], tunnel-idle-timeout: 0s}
                """))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("limits.tunnel-idle-timeout"))
                        .anySatisfy(p -> assertThat(p).contains("limits.max-tunnels:").contains("at least 0"))
                        .anySatisfy(p -> assertThat(p).contains("limits.max-tunnels-per-client"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].upgrades[0]").contains("h2c"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].upgrades[1]").contains("not a protocol token"))
                        .anySatisfy(p -> assertThat(p).contains("rules[0].tunnel-idle-timeout")));
    }
}
