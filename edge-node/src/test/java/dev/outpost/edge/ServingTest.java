package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ServingTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @Test
    void missThenHitFromMemory() {
        origin.stubFor(get("/a").willReturn(aResponse().withHeader("Cache-Control", "max-age=300")
                .withHeader("Content-Type", "text/plain").withBody("hello")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).start()) {
            HttpResponse<String> first = edge.get("/a");
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.body()).isEqualTo("hello");
            assertThat(first.headers().firstValue("Cache-Status")).hasValue("edge-test; fwd=miss; fwd-status=200; stored; ttl=300");
            edge.clock().advanceSeconds(6);
            HttpResponse<String> second = edge.get("/a");
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(second.body()).isEqualTo("hello");
            assertThat(second.headers().firstValue("Cache-Status")).hasValue("edge-test; hit; ttl=294");
            assertThat(second.headers().firstValue("Age")).hasValue("6");
            assertThat(second.headers().firstValue("Content-Type")).hasValue("text/plain");
            origin.verify(1, getRequestedFor(urlEqualTo("/a")));
            assertThat(edge.metric("outpost_requests_total", "cache", "hit", "tier", "memory")).isEqualTo(1.0);
            assertThat(edge.metric("outpost_requests_total", "cache", "miss", "tier", "none")).isEqualTo(1.0);
        }
    }
}
