package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code limits.write-timeout} on HTTP/2: a client that reads its frames but grants no
 * flow-control credit stalls its stream, not its socket. The stream is reset (RST_STREAM) once
 * the node could send nothing for the write timeout, for a memory hit (written by Undertow's
 * sender on the I/O thread) as for a disk hit (written chunk by chunk from a virtual thread),
 * and the connection itself stays up.
 */
class Http2WriteTimeoutTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @BeforeEach
    void stubs() {
        origin.stubFor(get(urlPathEqualTo("/memory")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=600").withBody(new byte[512 * 1024])));
        origin.stubFor(get(urlPathEqualTo("/disk")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=600").withBody(new byte[2 * 1024 * 1024])));
    }

    @Test
    void aStreamWithoutFlowControlCreditIsResetAtTheWriteTimeout() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl())
                .yaml("limits: {write-timeout: 1s}\ncache: {memory-max-object: 1MiB}").start()) {
            assertThat(edge.getBytes("/memory").body()).hasSize(512 * 1024);
            assertThat(edge.getBytes("/disk").body()).hasSize(2 * 1024 * 1024);
            Await.until("both stored", Duration.ofSeconds(30), () -> edge.metric("outpost_cache_entries", "tier", "disk") >= 2);
            double timeouts0 = edge.metric("outpost_write_timeouts_total");
            for (String path : new String[] {"/memory", "/disk"}) {
                try (RawH2 h2 = RawH2.openWithoutCredit(edge.port())) {
                    long start = System.nanoTime(); // wall clock: the write timeout is the listener's real timer
                    h2.get(1, path);
                    assertThat(h2.status(1, Duration.ofSeconds(10))).isEqualTo(200);
                    Await.until(path + ": stream reset", Duration.ofSeconds(10), () -> h2.resets.containsKey(1));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    assertThat(seconds).as(path).isGreaterThanOrEqualTo(0.9);
                    assertThat(h2.dataBytes(1)).as(path + ": no more than the window").isLessThanOrEqualTo(65_535);
                    assertThat(h2.closed).as(path + ": the connection stays up").isFalse();
                    assertThat(h2.goAway).isNull();
                }
            }
            assertThat(edge.metric("outpost_write_timeouts_total") - timeouts0).isEqualTo(2);
        }
    }
}
