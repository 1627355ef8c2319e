package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code limits.origin-bytes-per-client}: a client that made the node pull more than its share
 * from upstream in the window gets 429 (with Retry-After) for its next misses and passes, while
 * its hits, and every other client, are served; the window's end lets it fetch again. Clients
 * are told apart by {@code X-Forwarded-For} from a trusted proxy (the test's loopback address).
 */
class OriginBytesBudgetTest {

    static final int OBJECT = 300 * 1024;
    static final String BODY = "x".repeat(OBJECT);
    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                trusted-proxies: [127.0.0.1/32]
                limits: {origin-bytes-per-client: 1MiB, origin-bytes-window: 1m}
                rules:
                  - {match: {path-prefix: /pass/}, bypass: true}
                """));

    @BeforeEach
    void stubs() {
        origin.stubFor(any(urlPathMatching("/.*")).willReturn(aResponse().withHeader("Cache-Control", "max-age=3600")
                .withBody(BODY)));
    }

    private static HttpResponse<String> get(String client, String path) {
        return edge.get(path, "X-Forwarded-For", client);
    }

    private static int originRequests() {
        return origin.findAll(anyRequestedFor(urlPathMatching("/.*"))).size();
    }

    @Test
    void aClientPastItsShareGets429ForMissesButItsHitsAndOthersAreServed() {
        String greedy = "203.0.113.1";
        for (int i = 0; i < 4; i++) { // 4 x 300 KiB: past 1 MiB after the 4th
            HttpResponse<String> r = get(greedy, "/greedy/" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).hasSize(OBJECT);
        }
        int before = originRequests();
        double refused = edge.metric("outpost_origin_bytes_refused_total");
        HttpResponse<String> miss = get(greedy, "/greedy/next");
        assertThat(miss.statusCode()).isEqualTo(429);
        assertThat(miss.headers().firstValue("Retry-After")).isPresent();
        assertThat(Long.parseLong(miss.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
        assertThat(miss.headers().firstValue("Cache-Status").orElse("")).contains("detail=origin-bytes-limit");
        assertThat(get(greedy, "/pass/x").statusCode()).as("passes need the origin too").isEqualTo(429);
        assertThat(originRequests()).as("nothing reached the origin").isEqualTo(before);
        assertThat(edge.metric("outpost_origin_bytes_refused_total")).isEqualTo(refused + 2);
        // its hits are still served, and another client's misses
        HttpResponse<String> hit = get(greedy, "/greedy/0");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("Cache-Status").orElse("")).contains("hit");
        HttpResponse<String> other = get("203.0.113.2", "/greedy/next");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.body()).hasSize(OBJECT);
        // and the next window lets it fetch again
        CLOCK.advanceSeconds(61);
        HttpResponse<String> later = get(greedy, "/greedy/later");
        assertThat(later.statusCode()).isEqualTo(200);
    }

    @Test
    void aClientUnderItsShareIsNeverRefused() {
        for (int i = 0; i < 3; i++) {
            assertThat(get("203.0.113.9", "/modest/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(get("203.0.113.9", "/modest/3").statusCode()).isEqualTo(200);
    }

    /** Long version: 50 clients each past their share, 5 windows; every other client served each time. */
    @Test
    @Tag("long")
    void manyClientsOverManyWindows() {
        for (int w = 0; w < 5; w++) {
            for (int c = 0; c < 50; c++) {
                String ip = "198.51.100." + c;
                for (int i = 0; i < 4; i++) {
                    assertThat(get(ip, "/many/" + w + "/" + c + "/" + i).statusCode()).isEqualTo(200);
                }
                assertThat(get(ip, "/many/" + w + "/" + c + "/over").statusCode()).isEqualTo(429);
                assertThat(get("192.0.2." + c, "/many/" + w + "/" + c + "/fresh").statusCode()).isEqualTo(200);
            }
            CLOCK.advanceSeconds(61);
        }
    }
}
