package dev.outpost.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.RateLimit;
import dev.outpost.config.fleet.ConfigDiff;
import dev.outpost.config.fleet.ConfigVersion;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.config.fleet.PurgeStatus;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The HTTP API end to end over a real socket: tokens and scopes, bad input, limits, configs, purges. */
class ControlPlaneApiTest {

    static final String CONFIG_V1 = """
            hosts: [www.example.test]
            origins:
              - name: default
                servers: [{url: "http://origin.example.test"}]
            rules:
              - name: static
                match: {path-prefix: /static/}
                ttl: 1h
            """;
    static final String CONFIG_V2 = CONFIG_V1.replace("ttl: 1h", "ttl: 2h");

    ManualClock clock = new ManualClock();

    @RegisterExtension
    final ControlPlaneExtension cp = new ControlPlaneExtension(clock, c -> withPurgeRate(c, new RateLimit(1.0, 3, null)));

    static ControlPlaneConfig withPurgeRate(ControlPlaneConfig c, RateLimit r) {
        return new ControlPlaneConfig(c.listen(), c.dnsListen(), c.zone(), c.geoip(), c.dataDir(), c.token(),
                c.readToken(), c.writeToken(), c.dns(), c.nodeToken(), c.heartbeatTimeout(), r,
                dev.outpost.config.DataSize.ofKibibytes(64), c.tls(), c.streamKeepalive(), c.shutdownGrace());
    }

    @Test
    void tokensAreCheckedAndScoped() {
        TestControlPlane.Resp none = cp.get("/v1/nodes", null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(none.as(JsonNode.class).get("error").asText()).isEqualTo("unauthorized");

        assertThat(cp.get("/v1/nodes", "wrong-token-123").status()).isEqualTo(401);
        assertThat(cp.get("/v1/nodes", TestControlPlane.ALL + "x").status()).isEqualTo(401);
        assertThat(cp.send(HttpRequest.newBuilder(URI.create(cp.url() + "/v1/nodes"))
                .header("Authorization", "Basic " + TestControlPlane.ALL), null).status()).isEqualTo(401);

        assertThat(cp.get("/v1/nodes", TestControlPlane.READ).status()).isEqualTo(200);
        assertThat(cp.get("/v1/nodes", TestControlPlane.WRITE).status()).isEqualTo(200);
        TestControlPlane.Resp nodeReads = cp.get("/v1/nodes", TestControlPlane.NODE);
        assertThat(nodeReads.status()).isEqualTo(403);
        assertThat(nodeReads.as(JsonNode.class).get("detail").asText()).contains("read");

        String purge = "{\"kind\":\"all\"}";
        assertThat(cp.post("/v1/purges", TestControlPlane.READ, purge).status()).isEqualTo(403);
        assertThat(cp.post("/v1/purges", TestControlPlane.NODE, purge).status()).isEqualTo(403);
        assertThat(cp.post("/v1/configs", TestControlPlane.READ, CONFIG_V1).status()).isEqualTo(403);
        assertThat(cp.post("/v1/nodes/register", TestControlPlane.WRITE,
                new NodeRegistration("n1", "eu", null, null, null, null, null, null)).status()).isEqualTo(403);
        assertThat(cp.post("/v1/nodes/register", TestControlPlane.NODE,
                new NodeRegistration("n1", "eu", null, null, null, null, null, null)).status()).isEqualTo(200);
        assertThat(cp.post("/v1/nodes/n1/drain", TestControlPlane.READ, "").status()).isEqualTo(403);
        assertThat(cp.post("/v1/nodes/n1/drain", TestControlPlane.WRITE, "").status()).isEqualTo(200);

        // open endpoints
        assertThat(cp.get("/healthz", null).status()).isEqualTo(200);
        assertThat(cp.get("/metrics", null).status()).isEqualTo(200);
    }

    @Test
    void badInputGetsTheRightStatusAndAJsonError() {
        String t = TestControlPlane.WRITE;
        TestControlPlane.Resp notJson = cp.post("/v1/purges", t, "{kind: url");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.as(JsonNode.class).get("error").asText()).isEqualTo("bad-request");

        TestControlPlane.Resp unknownKind = cp.post("/v1/purges", t, "{\"kind\":\"everything\"}");
        assertThat(unknownKind.status()).isEqualTo(400);
        assertThat(unknownKind.body()).contains("url, prefix, host, tag, all");

        TestControlPlane.Resp noValues = cp.post("/v1/purges", t, "{\"kind\":\"url\",\"values\":[]}");
        assertThat(noValues.status()).isEqualTo(400);
        assertThat(noValues.body()).contains("needs at least one value");

        TestControlPlane.Resp badUrl = cp.post("/v1/purges", t, "{\"kind\":\"url\",\"values\":[\"not a url\"]}");
        assertThat(badUrl.status()).isEqualTo(400);
        assertThat(badUrl.as(JsonNode.class).get("error").asText()).isEqualTo("invalid-purge");
        assertThat(badUrl.body()).contains("values[0]");

        TestControlPlane.Resp badTag = cp.post("/v1/purges", t, "{\"kind\":\"tag\",\"values\":[\"a,b\"]}");
        assertThat(badTag.status()).isEqualTo(400);
        assertThat(badTag.body()).contains("not a surrogate key");

        // errors say what is wrong in the API's own words, never with Java class names
        for (String body : new String[] {"{\"kind\":\"everything\"}", "{\"kind\":\"url\",\"values\":\"http://a/\"}",
                "{\"kind\":\"all\",\"soft\":\"maybe\"}", "{\"kind\":[1]}", "[1]"}) {
            TestControlPlane.Resp r = cp.post("/v1/purges", t, body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body()).as(body).doesNotContain("`").doesNotContain("java.").doesNotContain("dev.outpost")
                    .doesNotContain("Purge$");
        }
        assertThat(cp.post("/v1/purges", t, "{\"kind\":\"all\",\"soft\":\"maybe\"}").body())
                .contains("soft: invalid value 'maybe'");

        TestControlPlane.Resp unknownKey = cp.post("/v1/purges", t, "{\"kind\":\"all\",\"hard\":true}");
        assertThat(unknownKey.status()).isEqualTo(400);
        assertThat(unknownKey.body()).contains("unknown key 'hard'");

        TestControlPlane.Resp badConfig = cp.post("/v1/configs", t, CONFIG_V1.replace("ttl: 1h", "ttl: soon"));
        assertThat(badConfig.status()).isEqualTo(422);
        JsonNode err = badConfig.as(JsonNode.class);
        assertThat(err.get("error").asText()).isEqualTo("invalid-config");
        assertThat(err.get("detail").get(0).asText()).contains("rules[0].ttl").contains(":8:");

        TestControlPlane.Resp unknownOrigin = cp.post("/v1/configs", t, CONFIG_V1.replace("ttl: 1h", "origin: nowhere"));
        assertThat(unknownOrigin.status()).isEqualTo(422);
        assertThat(unknownOrigin.body()).contains("rules[0].origin").contains("unknown origin 'nowhere'");

        assertThat(cp.post("/v1/configs?target=planet=mars", t, CONFIG_V1).status()).isEqualTo(400);
        assertThat(cp.get("/v1/configs/7", t).status()).isEqualTo(404);
        assertThat(cp.get("/v1/configs/seven", t).status()).isEqualTo(400);
        assertThat(cp.get("/v1/purges/99", t).status()).isEqualTo(404);
        assertThat(cp.post("/v1/nodes/ghost/drain", t, "").status()).isEqualTo(404);
        assertThat(cp.post("/v1/nodes/ghost/heartbeat", TestControlPlane.NODE, "{}").status()).isEqualTo(404);
        assertThat(cp.post("/v1/nodes/register", TestControlPlane.NODE, "{\"node-id\":\"bad id/x\"}").status()).isEqualTo(400);
        assertThat(cp.post("/v1/nodes/ghost/acks", TestControlPlane.NODE, "{\"purge-sequence\":1}").status()).isEqualTo(404);
        cp.post("/v1/nodes/register", TestControlPlane.NODE, "{\"node-id\":\"n-acks\"}");
        TestControlPlane.Resp badAck = cp.post("/v1/nodes/n-acks/acks", TestControlPlane.NODE, "{\"purge-sequence\":\"x\"");
        assertThat(badAck.status()).isEqualTo(400);
        assertThat(badAck.as(JsonNode.class).get("error").asText()).isEqualTo("bad-request");
        assertThat(cp.post("/v1/nodes/n-acks/acks", TestControlPlane.NODE, "{\"purge-sequence\":0}").status()).isEqualTo(204);
        assertThat(cp.post("/v1/nodes/n-acks/acks", TestControlPlane.READ, "{\"purge-sequence\":0}").status()).isEqualTo(403);

        TestControlPlane.Resp noRoute = cp.get("/v1/nothing-here", t);
        assertThat(noRoute.status()).isEqualTo(404);
        assertThat(noRoute.as(JsonNode.class).get("error").asText()).isEqualTo("not-found");
        TestControlPlane.Resp wrongMethod = cp.delete("/v1/purges", t);
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.as(JsonNode.class).get("error").asText()).isEqualTo("method-not-allowed");
    }

    @Test
    void requestBodiesAreBounded() {
        String big = "{\"kind\":\"tag\",\"values\":[\"" + "x".repeat(70 * 1024) + "\"]}";
        TestControlPlane.Resp declared = cp.post("/v1/purges", TestControlPlane.WRITE, big);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.as(JsonNode.class).get("error").asText()).isEqualTo("payload-too-large");

        // chunked: no Content-Length to refuse up front
        StringBuilder chunked = new StringBuilder("POST /v1/configs HTTP/1.1\r\nHost: cp\r\nAuthorization: Bearer "
                + TestControlPlane.WRITE + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        String piece = "#" + "y".repeat(1023) + "\n";
        for (int i = 0; i < 70; i++) {
            chunked.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        }
        chunked.append("0\r\n\r\n");
        RawHttp.Exchange ex = RawHttp.send(cp.cp().address().getPort(), chunked.toString(), 5000);
        assertThat(ex.status()).isEqualTo(413);
    }

    @Test
    void purgesAreRateLimitedPerClient() {
        String p = "{\"kind\":\"host\",\"values\":[\"www.example.test\"]}";
        for (int i = 0; i < 3; i++) {
            assertThat(cp.post("/v1/purges", TestControlPlane.WRITE, p).status()).isIn(200, 202);
        }
        TestControlPlane.Resp limited = cp.post("/v1/purges", TestControlPlane.WRITE, p);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isEqualTo("1");
        assertThat(limited.as(JsonNode.class).get("error").asText()).isEqualTo("rate-limited");
        clock.advanceSeconds(1);
        assertThat(cp.post("/v1/purges", TestControlPlane.WRITE, p).status()).isIn(200, 202);
        assertThat(cp.cp().purges().head()).isEqualTo(4);
    }

    @Test
    void purgeWithoutNodesIsCompleteAtOnceAndListed() {
        TestControlPlane.Resp r = cp.post("/v1/purges", TestControlPlane.WRITE,
                "{\"kind\":\"prefix\",\"values\":[\"https://www.example.test/static/\"],\"soft\":true}");
        assertThat(r.status()).isEqualTo(200);
        PurgeStatus s = r.as(PurgeStatus.class);
        assertThat(s.sequence()).isEqualTo(1);
        assertThat(s.complete()).isTrue();
        assertThat(s.purge().soft()).isTrue();
        assertThat(r.header("Location")).isEqualTo("/v1/purges/1");
        assertThat(cp.get("/v1/purges/1", TestControlPlane.READ).as(PurgeStatus.class).purge().values())
                .containsExactly("https://www.example.test/static/");
        assertThat(cp.get("/v1/purges?after=0", TestControlPlane.READ).as(JsonNode.class).size()).isEqualTo(1);
    }

    @Test
    void configsArePushedListedDiffedAndRolledBack() {
        String t = TestControlPlane.WRITE;
        TestControlPlane.Resp v1 = cp.post("/v1/configs?comment=first", t, CONFIG_V1);
        assertThat(v1.status()).isEqualTo(201);
        assertThat(v1.as(ConfigVersion.class).version()).isEqualTo(1);
        assertThat(v1.header("Location")).isEqualTo("/v1/configs/1");
        TestControlPlane.Resp v2 = cp.post("/v1/configs?target=region=eu&base-version=1", t, CONFIG_V2);
        assertThat(v2.status()).isEqualTo(201);
        assertThat(v2.as(ConfigVersion.class).target().toString()).isEqualTo("region=eu");

        TestControlPlane.Resp stale = cp.post("/v1/configs?base-version=1", t, CONFIG_V2);
        assertThat(stale.status()).isEqualTo(409);
        assertThat(stale.as(JsonNode.class).get("error").asText()).isEqualTo("conflict");

        ConfigDiff diff = cp.get("/v1/configs/1/diff/2", TestControlPlane.READ).as(ConfigDiff.class);
        assertThat(diff.changes()).hasSize(1);
        assertThat(diff.changes().getFirst().path()).isEqualTo("rules[0].ttl");
        assertThat(diff.changes().getFirst().before().asText()).isEqualTo("1h");
        assertThat(diff.changes().getFirst().after().asText()).isEqualTo("2h");

        TestControlPlane.Resp rb = cp.post("/v1/configs/1/rollback", t, "");
        assertThat(rb.status()).isEqualTo(201);
        ConfigVersion v3 = rb.as(ConfigVersion.class);
        assertThat(v3.version()).isEqualTo(3);
        assertThat(v3.rollbackOf()).isEqualTo(1);
        assertThat(cp.get("/v1/configs/3/diff/1", TestControlPlane.READ).as(ConfigDiff.class).changes()).isEmpty();

        List<ConfigVersion> history = cp.get("/v1/configs", TestControlPlane.READ).as(new TypeReference<>() { });
        assertThat(history).extracting(ConfigVersion::version).containsExactly(1L, 2L, 3L);
        assertThat(history.getFirst().comment()).isEqualTo("first");
        assertThat(history).allMatch(v -> v.config() == null);

        ConfigVersion current = cp.get("/v1/configs/current", TestControlPlane.READ).as(ConfigVersion.class);
        assertThat(current.version()).isEqualTo(3);
        assertThat(current.config().rules().getFirst().ttl()).hasHours(1);

        // node-targeted versions: a node in eu runs the newest version whose target includes it
        cp.post("/v1/nodes/register", TestControlPlane.NODE, new NodeRegistration("eu-1", "eu", null, null, null, null, null, null));
        cp.post("/v1/configs?target=region=us", t, CONFIG_V2);
        NodeView eu = cp.get("/v1/nodes/eu-1", TestControlPlane.READ).as(NodeView.class);
        assertThat(eu.desiredConfigVersion()).isEqualTo(3);
        assertThat(cp.post("/v1/configs/validate", TestControlPlane.READ, CONFIG_V1).status()).isEqualTo(200);
    }

    @Test
    void metricsHaveTheContractNames() {
        cp.post("/v1/purges", TestControlPlane.WRITE, "{\"kind\":\"all\"}");
        String metrics = cp.get("/metrics", null).body();
        assertThat(metrics)
                .contains("outpost_purge_propagation_seconds_bucket")
                .contains("outpost_config_propagation_seconds_bucket")
                .contains("outpost_nodes{state=\"healthy\"}")
                .contains("outpost_nodes{state=\"unhealthy\"}")
                .contains("outpost_nodes{state=\"drained\"}")
                .contains("outpost_purge_log_length 1.0");
    }
}
