package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.Ports;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several nodes on one host: without {@code --node-id} each takes the host name and its client
 * port, so an edge in front of a shield on the same host is not mistaken for a loop (both would
 * otherwise be the host name, and the shield would answer 508 loop-detected).
 */
class NodeIdTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @Test
    void anEdgeInFrontOfAShieldOnTheSameHostWithDefaultIdsIsNoLoop() {
        origin.stubFor(get("/same-host").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("ok")));
        ManualClock clock = TestEdge.wallClock();
        int shieldPort = Ports.free();
        int edgePort = Ports.free();
        try (TestEdge shield = TestEdge.withOrigin(origin.baseUrl()).clock(clock).defaultNodeId().flag("role", "shield")
                     .flag("listen", "127.0.0.1:" + shieldPort).start();
             TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).clock(clock).defaultNodeId()
                     .flag("listen", "127.0.0.1:" + edgePort).flag("shield", List.of(shield.uri("").toString())).start()) {
            HttpResponse<String> r = edge.get("/same-host");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok");
            String chain = r.headers().firstValue("Cache-Status").orElseThrow();
            String shieldId = shield.node().config().nodeId();
            String edgeId = edge.node().config().nodeId();
            assertThat(shieldId).endsWith("-" + shieldPort);
            assertThat(edgeId).endsWith("-" + edgePort);
            assertThat(shieldId.substring(0, shieldId.lastIndexOf('-'))).isEqualTo(edgeId.substring(0, edgeId.lastIndexOf('-')));
            assertThat(chain).matches(".*" + shieldPort + "\"?; fwd=miss; fwd-status=200; stored; ttl=60, .*"
                    + edgePort + "\"?; fwd=miss; fwd-status=200; stored; ttl=60");
        }
    }
}
