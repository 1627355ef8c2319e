package dev.outpost.edge.origin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What takes an origin server out of its pool, seen by clients of a whole edge: a path that
 * answers 5xx is not a dead server (5xx count only with {@code ejection.server-errors: true}),
 * a pool never ejects the last server that is up (so a lone server is never ejected), and when
 * no server is up the pool sends to all of them (panic mode) instead of failing every request.
 */
class EjectionPolicyTest {

    @RegisterExtension
    static final OriginExtension a = new OriginExtension();
    @RegisterExtension
    static final OriginExtension b = new OriginExtension();

    @BeforeEach
    void stubs() {
        for (OriginExtension w : new OriginExtension[] {a, b}) {
            w.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("ok")));
            w.stubFor(get(urlPathEqualTo("/broken")).willReturn(aResponse().withStatus(500).withBody("broken")));
        }
    }

    /** An edge whose default rule fetches from the origin {@code pool}, given in YAML under origins:. */
    private static TestEdge edge(String pool) {
        return TestEdge.withOrigin(a.baseUrl()).yaml("default-rule: {origin: pool, error-ttl: 0s}\norigins:\n  - name: pool\n"
                + pool).start();
    }

    /** A meter of the pool {@code pool} (the edge's {@code default} pool has server a too). */
    private static double metric(TestEdge edge, String name, String... labels) {
        String[] all = new String[labels.length + 2];
        all[0] = "origin";
        all[1] = "pool";
        System.arraycopy(labels, 0, all, 2, labels.length);
        double v = edge.metric(name, all);
        return Double.isNaN(v) ? 0 : v;
    }

    /** 18 requests to a path that answers 500 (issue 14's figure), each followed by a healthy path. */
    private static void brokenPathThenHealthyPaths(TestEdge edge, int rounds) {
        for (int i = 0; i < rounds; i++) {
            assertThat(edge.get("/broken").statusCode()).isEqualTo(500);
        }
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> ok = edge.get("/ok/" + i);
            assertThat(ok.statusCode()).as("a healthy path after %d answers 500 elsewhere", rounds).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("ok");
        }
    }

    @Test
    void aPathAnswering500DoesNotTakeTheOnlyServerOut() {
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}]\n")) {
            brokenPathThenHealthyPaths(edge, 18);
            assertThat(metric(edge, "outpost_origin_server_ejections_total", "server", a.baseUrl())).isZero();
            assertThat(metric(edge, "outpost_origin_server_up", "server", a.baseUrl())).isEqualTo(1.0);
            assertThat(metric(edge, "outpost_origin_server_requests_total", "server", a.baseUrl(), "status", "500"))
                    .isEqualTo(18.0);
        }
    }

    @Test
    void aPathAnswering500DoesNotEjectServersOfALargerPoolEither() {
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}, {url: " + b.baseUrl() + "}]\n"
                + "    ejection: {consecutive-failures: 2}\n    retry: {attempts: 0}\n")) {
            brokenPathThenHealthyPaths(edge, 18);
            assertThat(metric(edge, "outpost_origin_server_ejections_total")).isZero();
            a.verify(5, getRequestedFor("/ok/.*"));
            b.verify(5, getRequestedFor("/ok/.*"));
        }
    }

    private static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder getRequestedFor(String regex) {
        return com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlPathMatching(regex));
    }

    @Test
    void serverErrorsTrueCounts5xxAgainstTheServer() {
        b.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(500)));
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}, {url: " + b.baseUrl() + "}]\n"
                + "    ejection: {consecutive-failures: 2, server-errors: true, base-time: 1m}\n    retry: {attempts: 0}\n")) {
            int errors = 0;
            for (int i = 0; i < 20; i++) {
                errors += edge.get("/e/" + i).statusCode() == 500 ? 1 : 0;
            }
            assertThat(errors).as("b answers until its second 500 in a row ejects it").isEqualTo(2);
            assertThat(metric(edge, "outpost_origin_server_ejections_total", "server", b.baseUrl())).isEqualTo(1.0);
            assertThat(metric(edge, "outpost_origin_server_up", "server", b.baseUrl())).isEqualTo(0.0);
        }
    }

    @Test
    void theLastServerUpIsNeverEjected() {
        int p1 = Ports.free();
        int p2 = Ports.free();
        String d1 = "http://localhost:" + p1;
        String d2 = "http://localhost:" + p2;
        try (TestEdge edge = edge("    servers: [{url: " + d1 + "}, {url: " + d2 + "}]\n"
                + "    ejection: {consecutive-failures: 1, base-time: 5m}\n")) {
            for (int i = 0; i < 6; i++) {
                assertThat(edge.get("/x/" + i).statusCode()).isEqualTo(502);
            }
            assertThat(metric(edge, "outpost_origin_server_ejections_total"))
                    .as("both refuse connections: the first is ejected, never the second").isEqualTo(1.0);
            assertThat(metric(edge, "outpost_origin_server_up")).isEqualTo(1.0);
            WireMockServer back = new WireMockServer(wireMockConfig().port(p1));
            WireMockServer back2 = new WireMockServer(wireMockConfig().port(p2));
            back.start();
            back2.start();
            try {
                for (WireMockServer w : new WireMockServer[] {back, back2}) {
                    w.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("back")));
                }
                HttpResponse<String> r = edge.get("/y");
                assertThat(r.statusCode()).as("the server left in answers as soon as it is back").isEqualTo(200);
                assertThat(r.body()).isEqualTo("back");
            } finally {
                back.stop();
                back2.stop();
            }
        }
    }

    @Test
    void whenHealthChecksTakeEveryServerDownThePoolSendsToAllOfThem() {
        a.stubFor(get(urlPathEqualTo("/healthz")).willReturn(aResponse().withStatus(404)));
        b.stubFor(get(urlPathEqualTo("/healthz")).willReturn(aResponse().withStatus(404)));
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}, {url: " + b.baseUrl() + "}]\n"
                + "    health-check: {path: /healthz, interval: 10s, fall: 1, rise: 1}\n")) {
            Await.until("both servers checked and found down", Duration.ofSeconds(10),
                    () -> metric(edge, "outpost_origin_server_up") == 0.0
                            && metric(edge, "outpost_origin_server_health_checks_total", "result", "fail") >= 2);
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = edge.get("/p/" + i);
                assertThat(r.statusCode()).as("panic mode: a check that is wrong is not an outage").isEqualTo(200);
            }
            assertThat(edge.metric("outpost_origin_panic_total", "origin", "pool")).isEqualTo(6.0);
            assertThat(a.findAll(anyRequestedFor(urlPathMatching("/p/.*"))).size()
                    + b.findAll(anyRequestedFor(urlPathMatching("/p/.*"))).size()).isEqualTo(6);
        }
    }

    /** The figure of issue 14 repeated: 1,000 answers 500 on one path never make another path fail. */
    @Test
    @Tag("long")
    void longRunOfServerErrorsOnOnePath() {
        try (TestEdge edge = edge("    servers: [{url: " + a.baseUrl() + "}]\n")) {
            for (int round = 0; round < 50; round++) {
                brokenPathThenHealthyPaths(edge, 20);
                edge.clock().advanceSeconds(5);
            }
            assertThat(metric(edge, "outpost_origin_server_ejections_total")).isZero();
        }
    }
}
