package dev.outpost.edge.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.OriginExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WebSocket over HTTP/2 (RFC 8441) is not offered, so clients fall back to HTTP/1.1: the node
 * never advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8), and an extended CONNECT that comes
 * anyway is refused on its own stream (RST_STREAM PROTOCOL_ERROR), never sent to the origin,
 * the connection left serving.
 * See docs/websocket.md.
 */
class Http2ExtendedConnectTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @Test
    void extendedConnectIsNotAdvertisedAndIsRefusedOnItsStream() throws Exception {
        origin.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get("/after")
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withBody("ok")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start(); RawH2 h2 = RawH2.open(edge.port())) {
            Await.until("the server's SETTINGS", Duration.ofSeconds(10), () -> !h2.serverSettings.isEmpty());
            assertThat(h2.serverSettings).as("SETTINGS_ENABLE_CONNECT_PROTOCOL").doesNotContainKey(0x8);
            h2.headers(1, false, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "http", ":path", "/chat",
                    ":authority", "a.test", "sec-websocket-version", "13");
            Await.until("stream 1 refused", Duration.ofSeconds(10),
                    () -> h2.statuses.containsKey(1) || h2.resets.containsKey(1) || h2.closed || h2.goAway != null);
            // Undertow does not know the :protocol pseudo-header: the request is malformed
            // (RFC 9113 §8.1.1) and its stream alone is reset with PROTOCOL_ERROR
            assertThat(h2.statuses).doesNotContainKey(1);
            assertThat(h2.resets.get(1)).as("RST_STREAM PROTOCOL_ERROR").isEqualTo(1);
            assertThat(origin.getAllServeEvents()).as("nothing reached the origin").isEmpty();
            h2.get(3, "/after");
            assertThat(h2.status(3, Duration.ofSeconds(10))).as("the connection still serves").isEqualTo(200);
        }
    }
}
