package dev.outpost.edge.origin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Origin pools as a client of an edge sees them: no errors from a sick server, and why when nothing can answer. */
class PoolThroughEdgeTest {

    @RegisterExtension
    static final OriginExtension a = new OriginExtension();
    @RegisterExtension
    static final OriginExtension b = new OriginExtension();

    /** An edge whose default rule fetches from the origin {@code pool} given in YAML (indented under origins:). */
    private static TestEdge edge(String pool) {
        return TestEdge.withOrigin(a.baseUrl()).yaml("default-rule: {origin: pool}\norigins:\n  - name: pool\n" + pool).start();
    }

    @Test
    void aDeadServerIsEjectedAndReadmittedWithoutAClientEverSeeingAnError() {
        a.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("a")));
        int port = Ports.free();
        String dead = "http://localhost:" + port;
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}, {url: " + dead + "}]\n"
                + "    ejection: {consecutive-failures: 2, base-time: 30s}\n")) {
            for (int i = 0; i < 12; i++) {
                HttpResponse<String> r = edge.get("/n/" + i);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("a");
            }
            assertThat(edge.metric("outpost_origin_server_ejections_total", "origin", "pool", "server", dead)).isEqualTo(1.0);
            assertThat(edge.metric("outpost_origin_server_requests_total", "server", dead, "status", "error")).isEqualTo(2.0);
            assertThat(edge.metric("outpost_origin_server_up", "server", dead)).isEqualTo(0.0);
            assertThat(edge.metric("outpost_origin_server_requests_total", "server", a.baseUrl(), "status", "200")).isEqualTo(12.0);
            assertThat(edge.metric("outpost_origin_requests_total", "status", "200")).isEqualTo(12.0);

            WireMockServer back = new WireMockServer(wireMockConfig().port(port));
            back.start();
            try {
                back.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("back")));
                edge.clock().advanceSeconds(30);
                int toBack = 0;
                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> r = edge.get("/m/" + i);
                    assertThat(r.statusCode()).isEqualTo(200);
                    toBack += r.body().equals("back") ? 1 : 0;
                }
                assertThat(toBack).isEqualTo(5);
                assertThat(edge.metric("outpost_origin_server_up", "server", dead)).isEqualTo(1.0);
            } finally {
                back.stop();
            }
        }
    }

    @Test
    void healthChecksRunOnTheNodesClockAndSteerTrafficAway() {
        a.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("a")));
        b.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("b")));
        b.stubFor(get(urlPathEqualTo("/healthz")).willReturn(aResponse().withStatus(500)));
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}, {url: " + b.baseUrl() + "}]\n"
                + "    health-check: {path: /healthz, interval: 10s, fall: 1, rise: 1}\n")) {
            Await.until("b checked and found down", Duration.ofSeconds(10),
                    () -> edge.metric("outpost_origin_server_up", "server", b.baseUrl()) == 0.0);
            for (int i = 0; i < 6; i++) {
                assertThat(edge.get("/h/" + i).body()).isEqualTo("a");
            }
            b.stubFor(get(urlPathEqualTo("/healthz")).willReturn(aResponse().withStatus(200)));
            edge.clock().advanceSeconds(10);
            Await.until("b checked and found up", Duration.ofSeconds(10),
                    () -> edge.metric("outpost_origin_server_up", "server", b.baseUrl()) == 1.0);
            assertThat(edge.get("/h/x").body() + edge.get("/h/y").body()).contains("a").contains("b");
        }
    }

    @Test
    void whenNoServerCanAnswerAStaleCopyIsServedIfAllowedElse502SayingWhy() {
        int port = Ports.free();
        WireMockServer only = new WireMockServer(wireMockConfig().port(port));
        only.start();
        only.stubFor(get(urlPathEqualTo("/s")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=10, stale-if-error=600").withBody("kept")));
        try (TestEdge edge = edge("    servers: [{url: http://localhost:" + port + "}]\n"
                + "    ejection: {consecutive-failures: 1, base-time: 1m}\n")) {
            assertThat(edge.get("/s").body()).isEqualTo("kept");
            only.stop();
            edge.clock().advanceSeconds(11);
            HttpResponse<String> stale = edge.get("/s");
            assertThat(stale.statusCode()).isEqualTo(200);
            assertThat(stale.body()).isEqualTo("kept");
            assertThat(stale.headers().firstValue("Cache-Status").orElseThrow())
                    .startsWith("edge-test; fwd=stale; fwd-status=502").endsWith("detail=stale-if-error");
            HttpResponse<String> none = edge.get("/other");
            assertThat(none.statusCode()).isEqualTo(502);
            assertThat(none.headers().firstValue("Cache-Status")).hasValue("edge-test; fwd=miss; detail=origin-unreachable");
            assertThat(none.body()).startsWith("upstream failed: cannot connect to");
            assertThat(edge.metric("outpost_origin_server_ejections_total", "origin", "pool")).as("a lone server is never ejected")
                    .isEqualTo(0.0);
        } finally {
            only.stop();
        }
    }

    @Test
    void aServerTooSlowToAnswerGives504SayingSo() {
        a.stubFor(any(anyUrl()).willReturn(aResponse().withFixedDelay(2000).withBody("late")));
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}, {url: " + b.baseUrl() + "}]\n"
                + "    algorithm: consistent-hash\n    read-timeout: 300ms\n")) {
            b.stubFor(any(anyUrl()).willReturn(aResponse().withFixedDelay(2000).withBody("late")));
            HttpResponse<String> r = edge.get("/slow");
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(r.headers().firstValue("Cache-Status")).hasValue("edge-test; fwd=miss; detail=origin-timeout");
            assertThat(a.findAll(anyRequestedFor(anyUrl())).size() + b.findAll(anyRequestedFor(anyUrl())).size())
                    .as("a slow server's timeout is not retried elsewhere").isEqualTo(1);
        }
    }
}
