package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients can't force origin load with their own cache directives: by default
 * ({@code ignore-client-no-cache: true}) {@code Cache-Control: no-cache}, {@code max-age=0},
 * {@code min-fresh} and {@code Pragma: no-cache} are answered from a fresh entry. A rule that
 * honours them still sends one origin fetch per key at a time.
 */
class ClientNoCacheTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    private static final String[][] FORCING = {
        {"Cache-Control", "no-cache"}, {"Cache-Control", "max-age=0"}, {"Pragma", "no-cache"},
        {"Cache-Control", "min-fresh=86400"}, {"Cache-Control", "no-cache, max-age=0"}};

    @BeforeEach
    void reset() {
        origin.resetAll();
    }

    @Test
    void reloadStormsAreServedFromCacheByDefault() {
        origin.stubFor(get("/storm").willReturn(aResponse().withHeader("Cache-Control", "max-age=3600").withBody("s")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start()) {
            assertThat(edge.get("/storm").statusCode()).isEqualTo(200);
            edge.clock().advance(Duration.ofSeconds(5)); // the entry is 5 s old: max-age=0 refuses it when honoured
            int requests = 0;
            for (int round = 0; round < 20; round++) {
                for (String[] h : FORCING) {
                    HttpResponse<String> r = edge.get("/storm", h[0], h[1]);
                    requests++;
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("s");
                    assertThat(r.headers().firstValue("cache-status").orElseThrow()).as("%s: %s", h[0], h[1])
                            .startsWith("edge-test; hit");
                }
            }
            assertThat(requests).isEqualTo(100);
            origin.verify(1, getRequestedFor(urlEqualTo("/storm")));
        }
    }

    @Test
    void whenARuleHonoursThemTheyAreCollapsed() throws Exception {
        origin.stubFor(get("/honoured").willReturn(aResponse().withHeader("Cache-Control", "max-age=3600")
                .withFixedDelay(1500).withBody("h")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("default-rule: {ignore-client-no-cache: false}").start()) {
            assertThat(edge.get("/honoured").statusCode()).isEqualTo(200);
            origin.resetRequests();
            int clients = 20;
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    answers.add(pool.submit(() -> edge.get("/honoured", "Cache-Control", "no-cache")));
                }
                for (Future<HttpResponse<String>> f : answers) {
                    HttpResponse<String> r = f.get();
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("h");
                    assertThat(r.headers().firstValue("cache-status").orElseThrow()).contains("fwd=request");
                }
            }
            // every request was sent within the origin's 1.5 s; a straggler may open a second fetch
            assertThat(origin.findAll(getRequestedFor(urlEqualTo("/honoured"))).size())
                    .as("no-cache requests honoured, collapsed onto one fetch at a time").isBetween(1, 2);
        }
    }
}
