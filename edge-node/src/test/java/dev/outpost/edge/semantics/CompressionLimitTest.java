package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bound on bodies compressed at once ({@code limits.max-concurrent-compressions}): past it a
 * compressed miss is relayed as the origin sent it, stored by none, and counted; identity
 * clients are served and stored as usual.
 */
class CompressionLimitTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @Test
    void pastTheBoundAMissIsRelayedUncompressedAndUnstored() {
        String body = CompressionTest.text(10_000, 13);
        origin.stubFor(get("/c/l.txt").willReturn(aResponse().withHeader("Content-Type", "text/plain")
                .withHeader("Content-Length", Integer.toString(body.length())).withHeader("Cache-Control", "max-age=60")
                .withBody(body)));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("""
                limits: {max-concurrent-compressions: 0}
                rules:
                  - match: {path-prefix: /c/}
                    compress: {enabled: true}
                """).start()) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<byte[]> r = edge.getBytes("/c/l.txt", "Accept-Encoding", "gzip");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Encoding")).isEmpty();
                assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(body);
                assertThat(cacheStatus(r)).contains("fwd=miss").doesNotContain("stored");
            }
            assertThat(edge.metric("outpost_compressions_refused_total")).isEqualTo(2);
            // identity needs no encoder: stored and hit as usual
            edge.getBytes("/c/l.txt");
            assertThat(cacheStatus(edge.getBytes("/c/l.txt"))).contains("hit");
            assertThat(origin.findAll(getRequestedFor(urlEqualTo("/c/l.txt")))).hasSize(3);
        }
    }
}
