package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.date;
import static dev.outpost.edge.semantics.Exchanges.header;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Targeted cache control (RFC 9213): {@code Outpost-Cache-Control}, then
 * {@code CDN-Cache-Control}, then {@code Surrogate-Control} replace Cache-Control and Expires
 * at the edge; a field that fails to parse is ignored; none of them reaches clients, while
 * other nodes of the fleet get them.
 */
class TargetedCacheControlTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static void stub(String path, ResponseDefinitionBuilder response) {
        origin.stubFor(get(path).willReturn(response.withBody("body")));
    }

    private static void assertNoTargetedFields(HttpResponse<String> r) {
        assertThat(header(r, "CDN-Cache-Control")).isNull();
        assertThat(header(r, "Outpost-Cache-Control")).isNull();
        assertThat(header(r, "Surrogate-Control")).isNull();
    }

    @Test
    void cdnCacheControlOverridesCacheControlAtTheEdge() {
        stub("/cdn", aResponse().withHeader("Cache-Control", "no-store").withHeader("CDN-Cache-Control", "max-age=60"));
        HttpResponse<String> miss = edge.get("/cdn");
        assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        HttpResponse<String> hit = edge.get("/cdn");
        assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
        // clients still get the origin's Cache-Control, and never the targeted field
        assertThat(header(hit, "Cache-Control")).isEqualTo("no-store");
        assertNoTargetedFields(miss);
        assertNoTargetedFields(hit);
        assertThat(originCount("/cdn")).isEqualTo(1);
    }

    @Test
    void cdnCacheControlCanForbidWhatCacheControlAllows() {
        stub("/cdn-no-store", aResponse().withHeader("Cache-Control", "max-age=600").withHeader("CDN-Cache-Control", "no-store"));
        assertThat(cacheStatus(edge.get("/cdn-no-store"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=no-store");
        stub("/cdn-private", aResponse().withHeader("Cache-Control", "public, max-age=600").withHeader("CDN-Cache-Control", "private"));
        assertThat(cacheStatus(edge.get("/cdn-private"))).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=private");
    }

    @Test
    void theTargetedFieldReplacesExpiresToo() {
        stub("/cdn-expires", aResponse().withHeader("Expires", date(CLOCK, 3600)).withHeader("CDN-Cache-Control", "max-age=20"));
        assertThat(cacheStatus(edge.get("/cdn-expires"))).endsWith("stored; ttl=20");
    }

    @Test
    void aTargetedFieldWithoutFreshnessLeavesTheEdgeToItsHeuristics() {
        stub("/cdn-none", aResponse().withHeader("Cache-Control", "no-store").withHeader("CDN-Cache-Control", "none")
                .withHeader("Last-Modified", date(CLOCK, -1000)));
        assertThat(cacheStatus(edge.get("/cdn-none"))).endsWith("stored; ttl=100");
    }

    @Test
    void outpostCacheControlIsTheMostSpecific() {
        stub("/outpost", aResponse().withHeader("Cache-Control", "max-age=5").withHeader("CDN-Cache-Control", "max-age=60")
                .withHeader("Outpost-Cache-Control", "max-age=30").withHeader("Surrogate-Control", "max-age=90"));
        HttpResponse<String> miss = edge.get("/outpost");
        assertThat(cacheStatus(miss)).endsWith("stored; ttl=30");
        assertNoTargetedFields(miss);
        assertNoTargetedFields(edge.get("/outpost"));
    }

    @Test
    void surrogateControlMaxAgeComesAfterTheRfc9213Fields() {
        stub("/surrogate", aResponse().withHeader("Cache-Control", "max-age=5").withHeader("Surrogate-Control", "max-age=45"));
        HttpResponse<String> miss = edge.get("/surrogate");
        assertThat(cacheStatus(miss)).endsWith("stored; ttl=45");
        assertNoTargetedFields(miss);
        stub("/surrogate-and-cdn", aResponse().withHeader("CDN-Cache-Control", "max-age=20").withHeader("Surrogate-Control", "max-age=45"));
        assertThat(cacheStatus(edge.get("/surrogate-and-cdn"))).endsWith("stored; ttl=20");
        // Surrogate-Control without max-age or no-store says nothing about caching here
        stub("/surrogate-content", aResponse().withHeader("Cache-Control", "max-age=7").withHeader("Surrogate-Control", "content=\"ESI/1.0\""));
        assertThat(cacheStatus(edge.get("/surrogate-content"))).endsWith("stored; ttl=7");
    }

    @Test
    void aTargetedFieldThatFailsToParseIsIgnored() {
        stub("/cdn-invalid", aResponse().withHeader("Cache-Control", "max-age=5").withHeader("CDN-Cache-Control", "max-age=60,,"));
        assertThat(cacheStatus(edge.get("/cdn-invalid"))).endsWith("stored; ttl=5");
        stub("/outpost-invalid", aResponse().withHeader("CDN-Cache-Control", "max-age=15").withHeader("Outpost-Cache-Control", "MAX-AGE=99"));
        assertThat(cacheStatus(edge.get("/outpost-invalid"))).endsWith("stored; ttl=15");
    }

    @Test
    void staleWindowsComeFromTheTargetedField() {
        stub("/cdn-stale", aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("CDN-Cache-Control", "max-age=10, stale-if-error=60"));
        edge.get("/cdn-stale");
        CLOCK.advanceSeconds(15);
        origin.stubFor(get("/cdn-stale").willReturn(aResponse().withStatus(503)));
        HttpResponse<String> r = edge.get("/cdn-stale");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=stale; fwd-status=503; ttl=-5; detail=stale-if-error");
    }

    @Test
    void otherNodesOfTheFleetGetTheTargetedFields() {
        stub("/fleet", aResponse().withHeader("CDN-Cache-Control", "max-age=60").withHeader("Surrogate-Key", "a b"));
        HttpResponse<String> fromShield = edge.get("/fleet", "CDN-Loop", "outpost; node=edge-elsewhere");
        assertThat(header(fromShield, "CDN-Cache-Control")).isEqualTo("max-age=60");
        assertThat(header(fromShield, "Surrogate-Key")).isEqualTo("a b");
        HttpResponse<String> client = edge.get("/fleet");
        assertNoTargetedFields(client);
        assertThat(header(client, "Surrogate-Key")).isNull();
    }
}
