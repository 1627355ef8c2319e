package dev.outpost.edge.origin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.outpost.edge.origin.PoolFixture.fetch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.http.Fault;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Failed fetches go to another server: which ones, how many times, within what budget. */
class RetryTest {

    @RegisterExtension
    static final OriginExtension a = new OriginExtension();
    @RegisterExtension
    static final OriginExtension b = new OriginExtension();
    @RegisterExtension
    static final OriginExtension c = new OriginExtension();

    @BeforeEach
    void stubs() {
        a.stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        b.stubFor(any(anyUrl()).willReturn(aResponse().withBody("b")));
        c.stubFor(any(anyUrl()).willReturn(aResponse().withBody("c")));
    }

    /** A pool that never ejects a server: which servers a fetch tries must follow from the ranking alone. */
    private static String pool(String... urls) {
        StringBuilder sb = new StringBuilder("origins:\n  - name: default\n    ejection: {consecutive-failures: 1000, min-requests: 1000}\n    servers:\n");
        for (String u : urls) {
            sb.append("      - url: ").append(u).append('\n');
        }
        return sb.toString();
    }

    @Test
    void anIdempotentFetchThatFailsIsRetriedOnAnotherServer() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(pool(a.baseUrl(), b.baseUrl()));
            for (int i = 0; i < 6; i++) {
                PoolFixture.Answer answer = fetch(pool, PoolFixture.get("/g" + i));
                assertThat(answer.status()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo("b");
            }
            a.verify(3, anyRequestedFor(anyUrl()));
            b.verify(6, anyRequestedFor(anyUrl()));
            assertThat(f.metric("outpost_origin_server_requests_total", "server", a.baseUrl(), "status", "error")).isEqualTo(3.0);
            assertThat(f.metric("outpost_origin_server_requests_total", "server", b.baseUrl(), "status", "200")).isEqualTo(6.0);
        }
    }

    @Test
    void aRequestThatMayHaveReachedTheServerIsNotRetriedUnlessIdempotent() throws Exception {
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(pool(a.baseUrl(), b.baseUrl()));
            assertThatThrownBy(() -> fetch(pool, PoolFixture.request("POST", "/p", "/p", "192.0.2.1")))
                    .isInstanceOfSatisfying(UpstreamException.class, e -> {
                        assertThat(e.notSent()).isFalse();
                        assertThat(e.status()).isEqualTo(502);
                    });
            b.verify(0, anyRequestedFor(anyUrl()));
        }
    }

    @Test
    void aRequestThatNeverLeftIsRetriedWhateverItsMethod() throws Exception {
        String dead = "http://localhost:" + Ports.free();
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(pool(dead, b.baseUrl()));
            for (int i = 0; i < 4; i++) {
                assertThat(fetch(pool, PoolFixture.request("POST", "/p" + i, "/p", "192.0.2.1")).body()).isEqualTo("b");
            }
            b.verify(4, anyRequestedFor(anyUrl()));
        }
    }

    @Test
    void unavailableAnswersAreRetriedAndTheLastOneStandsWhenNoServerDoesBetter() throws Exception {
        a.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("a is unavailable")));
        b.stubFor(get(urlPathEqualTo("/down")).willReturn(aResponse().withStatus(503).withBody("b is unavailable")));
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(pool(a.baseUrl(), b.baseUrl()));
            for (int i = 0; i < 4; i++) {
                assertThat(fetch(pool, PoolFixture.get("/x")).body()).isEqualTo("b");
            }
            PoolFixture.Answer down = fetch(pool, PoolFixture.get("/down"));
            assertThat(down.status()).isEqualTo(503);
            a.verify(1, com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlPathEqualTo("/down")));
            b.verify(1, com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlPathEqualTo("/down")));
            assertThat(pool.members()[0].server().active.get() + pool.members()[1].server().active.get())
                    .as("every response closed").isZero();
        }
    }

    @Test
    void retriesStopAtTheConfiguredAttempts() throws Exception {
        String dead1 = "http://localhost:" + Ports.free();
        String dead2 = "http://localhost:" + Ports.free();
        try (PoolFixture f = new PoolFixture()) {
            OriginPool pool = f.pool(pool(dead1, dead2, c.baseUrl()).replace("    servers:",
                    "    algorithm: consistent-hash\n    retry: {attempts: 1}\n    servers:"));
            int failed = 0;
            int expected = 0;
            for (int i = 0; i < 30; i++) {
                int[] rank = Rendezvous.rank("/k" + i, pool.servers().toArray(String[]::new));
                if (rank[2] == 2) {
                    expected++;
                }
                try {
                    fetch(pool, PoolFixture.get("/k" + i));
                } catch (UpstreamException e) {
                    failed++;
                    assertThat(e.kind()).isEqualTo(UpstreamException.Kind.CONNECT);
                    assertThat(e.notSent()).isTrue();
                }
            }
            // a key ranked dead, dead, c fails: one retry is not enough to reach c
            assertThat(failed).isEqualTo(expected).isPositive();
        }
    }

    @Test
    void theBudgetBoundsRetriesInFlightToAShareOfRequestsInFlight() {
        RetryBudget budget = new RetryBudget(0.2);
        for (int i = 0; i < 50; i++) {
            budget.requestStarted();
        }
        int granted = 0;
        while (budget.tryRetry()) {
            granted++;
        }
        assertThat(granted).isEqualTo(10);
        budget.retryEnded();
        assertThat(budget.tryRetry()).isTrue();
        assertThat(budget.tryRetry()).isFalse();

        RetryBudget quiet = new RetryBudget(0.2);
        quiet.requestStarted();
        assertThat(quiet.tryRetry()).as("a quiet pool may still retry").isTrue();
        assertThat(quiet.tryRetry()).isTrue();
        assertThat(quiet.tryRetry()).isTrue();
        assertThat(quiet.tryRetry()).isFalse();

        RetryBudget off = new RetryBudget(0);
        off.requestStarted();
        assertThat(off.tryRetry()).isFalse();
    }
}
