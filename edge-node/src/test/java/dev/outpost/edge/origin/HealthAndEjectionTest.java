package dev.outpost.edge.origin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.outpost.edge.origin.PoolFixture.fetch;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Active health checks (fall, rise) and passive ejection (thresholds, doubling, readmission). */
class HealthAndEjectionTest {

    @RegisterExtension
    static final OriginExtension a = new OriginExtension();
    @RegisterExtension
    static final OriginExtension b = new OriginExtension();

    @BeforeEach
    void stubs() {
        a.stubFor(any(anyUrl()).willReturn(aResponse().withBody("a")));
        b.stubFor(any(anyUrl()).willReturn(aResponse().withBody("b")));
    }

    private static double checks(PoolFixture f, String server, String result) {
        double v = f.metric("outpost_origin_server_health_checks_total", "server", server, "result", result);
        return Double.isNaN(v) ? 0 : v;
    }

    /** Starts the due checks and waits until the server has {@code total} checks done. */
    private static void checkRound(PoolFixture f, String server, int total) {
        f.pools.runHealthChecks();
        Await.until("health check " + total + " of " + server, Duration.ofSeconds(10),
                () -> checks(f, server, "pass") + checks(f, server, "fail") >= total);
    }

    @Test
    void activeChecksTakeAServerOutAfterFallFailuresAndBackAfterRisePasses() throws Exception {
        b.stubFor(get(urlPathEqualTo("/health")).willReturn(aResponse().withStatus(503)));
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    servers: [{url: " + a.baseUrl() + "}, {url: "
                    + b.baseUrl() + "}]\n    health-check: {path: /health, expected-status: 200, interval: 5s, timeout: 1s, fall: 2, rise: 3}\n");
            String sb = b.baseUrl();
            checkRound(f, sb, 1);
            assertThat(pool.up(sb)).as("one failed check of two").isTrue();
            f.pools.runHealthChecks(); // not due yet: the clock has not moved
            f.clock.advance(Duration.ofSeconds(5));
            checkRound(f, sb, 2);
            assertThat(pool.up(sb)).isFalse();
            assertThat(f.metric("outpost_origin_server_up", "origin", "default", "server", sb)).isEqualTo(0.0);
            assertThat(f.metric("outpost_origin_server_up", "origin", "default", "server", a.baseUrl())).isEqualTo(1.0);
            for (int i = 0; i < 6; i++) {
                assertThat(fetch(pool, PoolFixture.get("/x" + i)).body()).isEqualTo("a");
            }
            b.verify(0, getRequestedFor(urlPathMatching("/x.*")));
            assertThat(checks(f, sb, "fail")).isEqualTo(2.0);

            b.stubFor(get(urlPathEqualTo("/health")).willReturn(aResponse().withStatus(200)));
            for (int round = 3; round <= 4; round++) {
                f.clock.advance(Duration.ofSeconds(5));
                checkRound(f, sb, round);
                assertThat(pool.up(sb)).as("after %d passes of 3", round - 2).isFalse();
            }
            f.clock.advance(Duration.ofSeconds(5));
            checkRound(f, sb, 5);
            assertThat(pool.up(sb)).isTrue();
            assertThat(f.metric("outpost_origin_server_up", "origin", "default", "server", sb)).isEqualTo(1.0);
            assertThat(fetch(pool, PoolFixture.get("/y1")).body()).isNotEqualTo(fetch(pool, PoolFixture.get("/y2")).body());
        }
    }

    @Test
    void aDeadServerIsEjectedAfterConsecutiveFailuresAndReadmittedWhenItsTimeIsUp() throws Exception {
        int deadPort = Ports.free();
        String dead = "http://localhost:" + deadPort;
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool("origins:\n  - name: default\n    servers: [{url: " + a.baseUrl() + "}, {url: " + dead + "}]\n"
                    + "    ejection: {consecutive-failures: 3, base-time: 10s, max-time: 1m}\n");
            for (int i = 0; i < 20; i++) {
                PoolFixture.Answer answer = fetch(pool, PoolFixture.get("/d" + i));
                assertThat(answer.status()).as("no client error while the server is dead").isEqualTo(200);
                assertThat(answer.server()).isEqualTo(a.baseUrl());
            }
            assertThat(f.metric("outpost_origin_server_ejections_total", "server", dead)).isEqualTo(1.0);
            assertThat(f.metric("outpost_origin_server_requests_total", "server", dead, "status", "error")).isEqualTo(3.0);
            assertThat(f.metric("outpost_origin_server_up", "server", dead)).isEqualTo(0.0);
            assertThat(pool.up(dead)).isFalse();

            WireMockServer revived = new WireMockServer(wireMockConfig().port(deadPort));
            revived.start();
            try {
                revived.stubFor(any(anyUrl()).willReturn(aResponse().withBody("revived")));
                f.clock.advance(Duration.ofSeconds(9));
                assertThat(pool.up(dead)).as("still ejected after 9s of 10s").isFalse();
                f.clock.advance(Duration.ofSeconds(1));
                assertThat(pool.up(dead)).isTrue();
                int toRevived = 0;
                for (int i = 0; i < 10; i++) {
                    PoolFixture.Answer answer = fetch(pool, PoolFixture.get("/r" + i));
                    assertThat(answer.status()).isEqualTo(200);
                    if (answer.body().equals("revived")) {
                        toRevived++;
                    }
                }
                assertThat(toRevived).isEqualTo(5);
                assertThat(f.metric("outpost_origin_server_up", "server", dead)).isEqualTo(1.0);
            } finally {
                revived.stop();
            }
        }
    }

    /**
     * A pool where b takes nearly every request (a is there so that b is never the last server
     * up, which is never ejected), 5xx count against servers and nothing is retried.
     */
    private static String bFirst(String ejection) {
        return "origins:\n  - name: default\n    algorithm: weighted-round-robin\n"
                + "    servers: [{url: " + b.baseUrl() + ", weight: 1000}, {url: " + a.baseUrl() + ", weight: 1}]\n"
                + "    ejection: {" + ejection + ", server-errors: true}\n    retry: {attempts: 0}\n";
    }

    @Test
    void ejectionTimeDoublesUpToTheMaximumAndDecaysAfterAQuietSpell() throws Exception {
        b.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(500)));
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(bFirst("consecutive-failures: 1, base-time: 10s, max-time: 30s"));
            String sb = b.baseUrl();
            long[] expected = {10, 20, 30, 30};
            for (long seconds : expected) {
                assertThat(fetch(pool, PoolFixture.get("/e")).status()).isEqualTo(500);
                assertThat(pool.up(sb)).isFalse();
                f.clock.advance(Duration.ofSeconds(seconds - 1));
                assertThat(pool.up(sb)).as("ejected for %ds", seconds).isFalse();
                f.clock.advance(Duration.ofSeconds(1));
                assertThat(pool.up(sb)).isTrue();
            }
            assertThat(fetch(pool, PoolFixture.get("/e")).status()).isEqualTo(500);
            assertThat(fetch(pool, PoolFixture.get("/e")).server()).as("b ejected, a answers").isEqualTo(a.baseUrl());
            assertThat(f.metric("outpost_origin_server_ejections_total", "server", sb)).isEqualTo(5.0);
            // a server that stays in for max-time starts again at base-time
            f.clock.advance(Duration.ofSeconds(30));
            b.stubFor(any(anyUrl()).willReturn(aResponse().withBody("fine")));
            assertThat(fetch(pool, PoolFixture.get("/ok")).status()).isEqualTo(200);
            f.clock.advance(Duration.ofSeconds(31));
            b.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
            fetch(pool, PoolFixture.get("/e"));
            f.clock.advance(Duration.ofSeconds(10));
            assertThat(pool.up(sb)).isTrue();
        }
    }

    @Test
    void anErrorRateAboveTheThresholdOverMinRequestsEjects() throws Exception {
        b.stubFor(get(urlPathEqualTo("/bad")).willReturn(aResponse().withStatus(502)));
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(bFirst("consecutive-failures: 100, error-rate: 0.5, min-requests: 10, base-time: 10s"));
            String sb = b.baseUrl();
            // 6 of every 10 fail, never more than 2 in a row: ejected by rate at the 10th request
            String[] pattern = {"/ok", "/bad", "/bad", "/ok", "/bad", "/bad", "/ok", "/bad", "/ok", "/bad"};
            for (int i = 0; i < pattern.length; i++) {
                assertThat(pool.up(sb)).as("before request %d", i + 1).isTrue();
                fetch(pool, PoolFixture.get(pattern[i]));
            }
            assertThat(pool.up(sb)).isFalse();
            assertThat(f.metric("outpost_origin_server_ejections_total", "server", sb)).isEqualTo(1.0);
            // readmitted with a clean window: 5 of 10 is not above 0.5
            f.clock.advance(Duration.ofSeconds(10));
            for (int i = 0; i < 10; i++) {
                fetch(pool, PoolFixture.get(i % 2 == 0 ? "/ok" : "/bad"));
            }
            assertThat(pool.up(sb)).isTrue();
        }
    }

    @Test
    void stateCarriesOverToTheNextConfigVersionAndLeavingServersLoseTheirMeters() throws Exception {
        int deadPort = Ports.free();
        String dead = "http://localhost:" + deadPort;
        try (PoolFixture f = new PoolFixture()) {
            String yaml = "origins:\n  - name: default\n    servers: [{url: " + a.baseUrl() + "}, {url: " + dead + "}]\n"
                    + "    ejection: {consecutive-failures: 1, base-time: 1m, max-time: 2m}\n";
            OriginPool first = f.pool(yaml);
            fetch(first, PoolFixture.get("/1"));
            fetch(first, PoolFixture.get("/2"));
            assertThat(first.up(dead)).isFalse();
            OriginPool second = f.pool(yaml.replace("base-time: 1m", "base-time: 2m"));
            assertThat(second.up(dead)).as("still ejected in the new version").isFalse();
            f.pool("origins:\n  - name: default\n    servers: [{url: " + a.baseUrl() + "}]\n");
            assertThat(f.metric("outpost_origin_server_up", "server", dead)).isNaN();
            assertThat(f.metric("outpost_origin_server_up", "server", a.baseUrl())).isEqualTo(1.0);
        }
    }
}
