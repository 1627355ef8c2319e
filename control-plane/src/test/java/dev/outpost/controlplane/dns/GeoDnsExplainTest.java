package dev.outpost.controlplane.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The explanation behind {@code dns resolve NAME --client IP}: location, policy, answers, scope and every candidate. */
class GeoDnsExplainTest {

    static DnsTestKit kit;

    @BeforeAll
    static void start() {
        kit = new DnsTestKit(FakeEdgeDirectory.world().healthy("syd-1", false), """
                rate-limit: {responses-per-second: 0}
                names: [{name: www}]
                overrides: [{country: DE, region: us-east}]
                fallback: {coordinates: "51.5,-0.1"}
                """);
    }

    @AfterAll
    static void stop() {
        kit.close();
    }

    @Test
    void explainsANearestAnswer() throws Exception {
        DnsExplanation x = kit.server.explain("www.cdn.example.test", "203.0.113.77");
        assertThat(x.rcode()).isEqualTo("NOERROR");
        assertThat(x.zone()).isEqualTo("cdn.example.test");
        assertThat(x.pool()).isEqualTo("www");
        assertThat(x.client().city()).isEqualTo("Tokyo");
        assertThat(x.client().country()).isEqualTo("JP");
        assertThat(x.client().continent()).isEqualTo("AS");
        assertThat(x.client().network()).isEqualTo("203.0.113.0/24");
        assertThat(x.client().latitude()).isEqualTo(35.6762);
        assertThat(x.policy()).isEqualTo("nearest");
        assertThat(x.override()).isNull();
        assertThat(x.ipv4Answers()).containsExactly("10.3.0.1");
        assertThat(x.ipv6Answers()).containsExactly("fd00:3:0:0:0:0:0:1");
        assertThat(x.ecsScope()).isEqualTo(24);
        assertThat(x.ttl()).isEqualTo(30);
        assertThat(x.candidates()).hasSize(6);
        assertThat(x.candidates().getFirst().nodeId()).isEqualTo("tyo-1");
        assertThat(x.candidates().getFirst().chosen()).isTrue();
        assertThat(x.candidates().getFirst().distanceKm()).isLessThan(5);
        assertThat(x.candidates()).filteredOn(c -> c.nodeId().equals("syd-1")).singleElement()
                .satisfies(c -> {
                    assertThat(c.healthy()).isFalse();
                    assertThat(c.chosen()).isFalse();
                    assertThat(c.distanceKm()).isBetween(7700.0, 7900.0);
                });
        JsonNode json = OutpostJson.json().readTree(x.toJson());
        assertThat(json.at("/client/city").asText()).isEqualTo("Tokyo");
        assertThat(json.at("/ipv4-answers/0").asText()).isEqualTo("10.3.0.1");
        assertThat(json.at("/ecs-scope").asInt()).isEqualTo(24);
        assertThat(json.at("/candidates/0/distance-km").asDouble()).isLessThan(5);
        // the keys the CLI's dns resolve reads
        assertThat(json.at("/candidates/0/node-id").asText()).isEqualTo("tyo-1");
        assertThat(json.at("/candidates/0/in-pool").asBoolean()).isTrue();
        assertThat(json.at("/candidates/0/chosen").asBoolean()).isTrue();
        assertThat(json.at("/ipv6-answers/0").asText()).isEqualTo("fd00:3:0:0:0:0:0:1");
        assertThat(json.at("/client/located").asBoolean()).isTrue();
    }

    @Test
    void explainsOverridesAndFallbacks() {
        DnsExplanation de = kit.server.explain("www.cdn.example.test", "192.0.2.10");
        assertThat(de.policy()).isEqualTo("override");
        assertThat(de.override()).isEqualTo("country DE -> region us-east");
        assertThat(de.ipv4Answers()).containsExactly("10.1.0.1");
        DnsExplanation unknown = kit.server.explain("www.cdn.example.test", "10.9.8.7");
        assertThat(unknown.client().located()).isFalse();
        assertThat(unknown.policy()).isEqualTo("fallback");
        assertThat(unknown.ipv4Answers()).containsExactly("10.2.0.1");   // nearest to London, the fallback point
    }

    @Test
    void explainsNamesThatGetNoEdges() {
        assertThat(kit.server.explain("nope.cdn.example.test", "192.0.2.1").rcode()).isEqualTo("NXDOMAIN");
        assertThat(kit.server.explain("www.example.com", "192.0.2.1").rcode()).isEqualTo("REFUSED");
        assertThatThrownBy(() -> kit.server.explain("www.cdn.example.test", "not-an-ip"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> kit.server.explain("www.cdn.example.test", "192.0.2.0/24"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
