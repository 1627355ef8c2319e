package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cache-Status through tiers (RFC 9211 §2): an edge behind a shield keeps the shield's member
 * and appends its own, nearest-to-origin first, in one field line (clients that read one line
 * of a field see the whole chain). A member stored with a response is the
 * upstream's status when the response was fetched; on a later hit at the edge it is sent as
 * stored, followed by the edge's {@code hit}.
 */
class CacheStatusChainTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension shield = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK)
            .flag("role", "shield").flag("node-id", "shield-1"));

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK)
            .flag("node-id", "edge-1").flag("shield", java.util.List.of(shield.uri("").toString())));

    /** The Cache-Status of a response, which must be one field line holding the whole chain. */
    private static String chain(HttpResponse<?> r) {
        assertThat(r.headers().allValues("Cache-Status")).as("one line for the whole chain").hasSize(1);
        return r.headers().firstValue("Cache-Status").orElseThrow();
    }

    /** A GET with a fixed Host (so two edges share the shield's key); its Cache-Status chain. */
    private static String okGet(TestEdge e, String path) {
        okhttp3.Request request = new okhttp3.Request.Builder().url(e.uri(path).toString()).header("Host", "www.example.com")
                .build();
        try (okhttp3.Response r = OK.newCall(request).execute()) {
            // OkHttp's header() answers the last line: it must hold the whole chain
            assertThat(r.headers("Cache-Status")).hasSize(1);
            return r.header("Cache-Status");
        } catch (java.io.IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
    }

    private static final okhttp3.OkHttpClient OK = new okhttp3.OkHttpClient();

    private static int originGets(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    @Test
    void aMissThroughBothTiersCarriesBothMembersShieldFirst() {
        origin.stubFor(get("/chain-miss").willReturn(aResponse().withHeader("Cache-Control", "max-age=300").withBody("m")));
        HttpResponse<String> r = edge.get("/chain-miss");
        assertThat(r.body()).isEqualTo("m");
        assertThat(chain(r)).isEqualTo("shield-1; fwd=miss; fwd-status=200; stored; ttl=300, "
                + "edge-1; fwd=miss; fwd-status=200; stored; ttl=300");
    }

    @Test
    void aHitAtTheEdgeKeepsTheShieldsMemberAsStored() {
        origin.stubFor(get("/chain-hit").willReturn(aResponse().withHeader("Cache-Control", "max-age=300").withBody("h")));
        edge.get("/chain-hit");
        CLOCK.advanceSeconds(10);
        HttpResponse<String> hit = edge.get("/chain-hit");
        assertThat(chain(hit)).isEqualTo("shield-1; fwd=miss; fwd-status=200; stored; ttl=300, edge-1; hit; ttl=290");
        assertThat(hit.headers().firstValue("Age")).hasValue("10");
        assertThat(originGets("/chain-hit")).isEqualTo(1);
    }

    @Test
    void aHitAtTheShieldIsAMissAtTheEdge() {
        origin.stubFor(get("/chain-shield-hit").willReturn(aResponse().withHeader("Cache-Control", "max-age=300").withBody("s")));
        // a second edge stores it first: for the first edge it is then a hit at the shield
        try (TestEdge other = TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).flag("node-id", "edge-2")
                .flag("shield", java.util.List.of(shield.uri("").toString())).start()) {
            assertThat(okGet(other, "/chain-shield-hit")).isEqualTo("shield-1; fwd=miss; fwd-status=200; stored; ttl=300, "
                    + "edge-2; fwd=miss; fwd-status=200; stored; ttl=300");
        }
        CLOCK.advanceSeconds(5);
        assertThat(okGet(edge.edge(), "/chain-shield-hit"))
                .isEqualTo("shield-1; hit; ttl=295, edge-1; fwd=miss; fwd-status=200; stored; ttl=295");
        assertThat(originGets("/chain-shield-hit")).isEqualTo(1);
    }

    @Test
    void aResponseNotStoredCarriesBothMembers() {
        origin.stubFor(get("/chain-no-store").willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("n")));
        HttpResponse<String> r = edge.get("/chain-no-store");
        assertThat(chain(r)).isEqualTo("shield-1; fwd=miss; fwd-status=200; detail=no-store, "
                + "edge-1; fwd=miss; fwd-status=200; detail=no-store");
    }

    @Test
    void aRevalidationAtTheEdgeReplacesTheStoredMemberWithTheShieldsNewOne() {
        origin.stubFor(get("/chain-304").willReturn(aResponse().withHeader("Cache-Control", "max-age=10")
                .withHeader("ETag", "\"v\"").withBody("r")));
        edge.get("/chain-304");
        CLOCK.advanceSeconds(20);
        origin.stubFor(get("/chain-304").withHeader("If-None-Match", equalTo("\"v\""))
                .willReturn(aResponse().withStatus(304).withHeader("ETag", "\"v\"").withHeader("Cache-Control", "max-age=10")));
        HttpResponse<String> r = edge.get("/chain-304");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("r");
        assertThat(chain(r)).isEqualTo("shield-1; fwd=stale; fwd-status=304; ttl=10; detail=revalidated, "
                + "edge-1; fwd=stale; fwd-status=304; ttl=10; detail=revalidated");
    }

    @Test
    void aClientsConditionalAnsweredFromTheEdgeKeepsTheChain() {
        origin.stubFor(get("/chain-client-304").willReturn(aResponse().withHeader("Cache-Control", "max-age=300")
                .withHeader("ETag", "\"c\"").withBody("c")));
        edge.get("/chain-client-304");
        HttpResponse<String> r = edge.get("/chain-client-304", "If-None-Match", "\"c\"");
        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(chain(r)).isEqualTo("shield-1; fwd=miss; fwd-status=200; stored; ttl=300, edge-1; hit; ttl=300");
    }
}
