package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Metric values after a known sequence of requests, /stats, and the admin purge endpoint. */
class AdminAndMetricsTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    private static void stub(String path, String body, String... headers) {
        var r = aResponse().withHeader("Cache-Control", "max-age=300").withHeader("ETag", "\"" + path.hashCode() + "\"")
                .withBody(body);
        for (int i = 0; i < headers.length; i += 2) {
            r = r.withHeader(headers[i], headers[i + 1]);
        }
        origin.stubFor(get(path).willReturn(r));
    }

    @Test
    void metricsAfterAKnownSequence() throws Exception {
        stub("/a", "0123456789");
        origin.stubFor(post("/form").willReturn(aResponse().withStatus(201).withBody("ok")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start()) {
            edge.get("/a");
            edge.get("/a");
            edge.get("/a");
            edge.send("POST", "/form", "x=1");
            assertThat(edge.metric("outpost_requests_total", "cache", "miss", "tier", "none")).isEqualTo(1);
            assertThat(edge.metric("outpost_requests_total", "cache", "hit", "tier", "memory")).isEqualTo(2);
            assertThat(edge.metric("outpost_requests_total", "cache", "bypass", "tier", "none")).isEqualTo(1);
            assertThat(edge.metric("outpost_requests_total")).isEqualTo(4);
            assertThat(edge.metric("outpost_origin_requests_total", "status", "200")).isEqualTo(1);
            assertThat(edge.metric("outpost_origin_requests_total", "status", "201")).isEqualTo(1);
            assertThat(edge.metric("outpost_response_bytes_total")).isEqualTo(32);
            assertThat(edge.metric("outpost_response_bytes_total", "cache", "hit")).isEqualTo(20);
            assertThat(edge.metric("outpost_origin_bytes_total")).isEqualTo(10);
            assertThat(edge.metric("outpost_cache_entries", "tier", "memory")).isEqualTo(1);
            assertThat(edge.metric("outpost_cache_entries", "tier", "disk")).isEqualTo(1);
            assertThat(edge.metric("outpost_cache_bytes", "tier", "disk")).isGreaterThan(10);
            assertThat(edge.metric("outpost_request_duration_seconds_count")).isEqualTo(4);
            assertThat(edge.metric("outpost_origin_duration_seconds_count")).isEqualTo(2);
            assertThat(edge.metric("outpost_cache_corrupt_total")).isEqualTo(0);

            JsonNode stats = OutpostJson.json().readTree(edge.admin("/stats").body());
            assertThat(stats.get("requests").asLong()).isEqualTo(4);
            assertThat(stats.get("hits").asLong()).isEqualTo(2);
            assertThat(stats.get("misses").asLong()).isEqualTo(1);
            assertThat(stats.get("bypass").asLong()).isEqualTo(1);
            assertThat(stats.get("hit-ratio").asDouble()).isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(stats.get("byte-hit-ratio").asDouble()).isCloseTo(20.0 / 32, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(stats.get("origin-requests").asLong()).isEqualTo(2);
            assertThat(stats.get("origin-offload").asDouble()).as("deprecated: requests per origin request").isEqualTo(2.0);
            assertThat(stats.get("origin-offload-ratio").asDouble()).as("1 - 2 origin requests / 4 requests").isEqualTo(0.5);
            assertThat(stats.get("tiers").get("memory").get("hits").asLong()).isEqualTo(2);
            assertThat(stats.get("tiers").get("disk").get("entries").asLong()).isEqualTo(1);
            assertThat(edge.admin("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void purgeEndpointRequiresTheTokenAndPurges() throws Exception {
        stub("/p/1", "one", "Surrogate-Key", "red blue");
        stub("/p/2", "two", "Cache-Tag", "green");
        stub("/q/1", "three");
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).flag("admin-token", "s3cret").start()) {
            edge.get("/p/1");
            edge.get("/p/2");
            edge.get("/q/1");
            String host = "127.0.0.1:" + edge.port();
            HttpResponse<String> denied = edge.adminPost("/purge", "{\"kind\":\"url\",\"values\":[\"http://" + host + "/p/1\"]}");
            assertThat(denied.statusCode()).isEqualTo(401);
            JsonNode err = OutpostJson.json().readTree(denied.body());
            assertThat(err.get("error").asText()).isEqualTo("unauthorized");
            assertThat(edge.adminPost("/purge", "{\"kind\":\"url\",\"values\":[\"x\"]}", "Authorization", "Bearer wrong").statusCode())
                    .isEqualTo(401);

            HttpResponse<String> byTag = edge.adminPost("/purge", "{\"kind\":\"tag\",\"values\":[\"blue\"]}",
                    "Authorization", "Bearer s3cret");
            assertThat(byTag.statusCode()).isEqualTo(200);
            assertThat(OutpostJson.json().readTree(byTag.body()).get("purged").asInt()).isEqualTo(1);
            assertThat(edge.get("/p/1").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            assertThat(edge.get("/p/2").headers().firstValue("Cache-Status").orElseThrow()).contains("hit");

            edge.adminPost("/purge", "{\"kind\":\"tag\",\"values\":[\"green\"]}", "Authorization", "Bearer s3cret");
            assertThat(edge.get("/p/2").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");

            edge.adminPost("/purge", "{\"kind\":\"prefix\",\"values\":[\"http://" + host + "/p/\"]}", "Authorization", "Bearer s3cret");
            assertThat(edge.get("/p/1").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            assertThat(edge.get("/q/1").headers().firstValue("Cache-Status").orElseThrow()).contains("hit");

            edge.adminPost("/purge", "{\"kind\":\"host\",\"values\":[\"127.0.0.1\"]}", "Authorization", "Bearer s3cret");
            assertThat(edge.get("/q/1").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");

            // a host as the Host header carries it, port and all
            HttpResponse<String> byHostPort = edge.adminPost("/purge", "{\"kind\":\"host\",\"values\":[\"" + host.toUpperCase() + "\"]}",
                    "Authorization", "Bearer s3cret");
            assertThat(OutpostJson.json().readTree(byHostPort.body()).get("purged").asInt()).isEqualTo(1);
            assertThat(edge.get("/q/1").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");

            HttpResponse<String> all = edge.adminPost("/purge", "{\"kind\":\"all\"}", "Authorization", "Bearer s3cret");
            assertThat(OutpostJson.json().readTree(all.body()).get("purged").asText()).isEqualTo("all");
            assertThat(edge.get("/q/1").headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=miss");
            origin.verify(4, getRequestedFor(urlEqualTo("/q/1")));

            HttpResponse<String> bad = edge.adminPost("/purge", "{\"kind\":\"everything\"}", "Authorization", "Bearer s3cret");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(OutpostJson.json().readTree(bad.body()).get("detail").asText()).contains("url, prefix, host, tag, all")
                    .doesNotContain("`").doesNotContain("dev.outpost");
            assertThat(edge.adminPost("/purge", "{\"kind\":\"url\",\"values\":[\"ftp://x/y\"]}", "Authorization", "Bearer s3cret")
                    .statusCode()).isEqualTo(400);
            assertThat(edge.admin("/purge").statusCode()).isEqualTo(405);
            assertThat(edge.admin("/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void softPurgeRevalidatesInsteadOfRefetching() {
        stub("/s/1", "soft");
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start()) {
            edge.get("/s/1");
            origin.stubFor(get("/s/1").withHeader("If-None-Match", com.github.tomakehurst.wiremock.client.WireMock.equalTo("\"" + "/s/1".hashCode() + "\""))
                    .willReturn(aResponse().withStatus(304).withHeader("Cache-Control", "max-age=300")));
            String host = "127.0.0.1:" + edge.port();
            assertThat(edge.adminPost("/purge", "{\"kind\":\"url\",\"values\":[\"http://" + host + "/s/1\"],\"soft\":true}")
                    .statusCode()).isEqualTo(200);
            HttpResponse<String> r = edge.get("/s/1");
            assertThat(r.body()).isEqualTo("soft");
            assertThat(r.headers().firstValue("Cache-Status").orElseThrow()).contains("fwd=stale; fwd-status=304");
            assertThat(edge.get("/s/1").headers().firstValue("Cache-Status").orElseThrow()).startsWith("edge-test; hit");
        }
    }
}
