package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Vary (RFC 9111 §4.1): variants keyed by the nominated request fields after normalisation
 * (Accept-Encoding folded to the encodings the node asks for), {@code Vary: *} never
 * matching, and a bounded number of variants per URL.
 */
class VaryTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("cache: {max-variants: 3}"));

    private static int originCount(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    private static void byEncoding(String path, String upstreamEncoding, String body) {
        origin.stubFor(get(path).withHeader("Accept-Encoding", equalTo(upstreamEncoding)).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Encoding").withBody(body)));
    }

    @Test
    void acceptEncodingIsFoldedToTheEncodingsTheNodeAsksFor() {
        byEncoding("/encoding", "gzip", "gzip-body");
        byEncoding("/encoding", "br, gzip", "br-body");
        byEncoding("/encoding", "identity", "plain-body");

        HttpResponse<String> gzip = edge.get("/encoding", "Accept-Encoding", "gzip, deflate");
        assertThat(gzip.body()).isEqualTo("gzip-body");
        assertThat(cacheStatus(gzip)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        // other spellings of the same preference share the variant
        for (String spelling : new String[] {"deflate, gzip;q=0.8", "GZIP", "x-gzip", "gzip;q=1.0, compress"}) {
            HttpResponse<String> hit = edge.get("/encoding", "Accept-Encoding", spelling);
            assertThat(hit.body()).as(spelling).isEqualTo("gzip-body");
            assertThat(cacheStatus(hit)).as(spelling).isEqualTo("edge-test; hit; ttl=60");
        }
        HttpResponse<String> br = edge.get("/encoding", "Accept-Encoding", "gzip, br");
        assertThat(br.body()).isEqualTo("br-body");
        assertThat(cacheStatus(br)).isEqualTo("edge-test; fwd=vary-miss; fwd-status=200; stored; ttl=60");
        assertThat(edge.get("/encoding", "Accept-Encoding", "br;q=0.5, gzip;q=0.9, *;q=0.1").body()).isEqualTo("br-body");

        HttpResponse<String> plain = edge.get("/encoding");
        assertThat(plain.body()).isEqualTo("plain-body");
        assertThat(cacheStatus(plain)).startsWith("edge-test; fwd=vary-miss");
        HttpResponse<String> refused = edge.get("/encoding", "Accept-Encoding", "gzip;q=0, deflate");
        assertThat(refused.body()).isEqualTo("plain-body");
        assertThat(cacheStatus(refused)).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount("/encoding")).isEqualTo(3);
    }

    @Test
    void otherFieldsKeyVariantsByTheirValue() {
        origin.stubFor(get("/lang").withHeader("Accept-Language", equalTo("en")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "accept-language").withBody("hello")));
        origin.stubFor(get("/lang").withHeader("Accept-Language", equalTo("fr")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Language").withBody("bonjour")));
        origin.stubFor(get("/lang").withHeader("Accept-Language", absent()).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=60").withHeader("Vary", "Accept-Language").withBody("default")));
        assertThat(edge.get("/lang", "Accept-Language", "en").body()).isEqualTo("hello");
        assertThat(edge.get("/lang", "Accept-Language", "fr").body()).isEqualTo("bonjour");
        assertThat(edge.get("/lang").body()).isEqualTo("default");
        assertThat(cacheStatus(edge.get("/lang", "Accept-Language", "fr"))).isEqualTo("edge-test; hit; ttl=60");
        assertThat(edge.get("/lang", "Accept-Language", "en").body()).isEqualTo("hello");
        HttpResponse<String> absentHit = edge.get("/lang");
        assertThat(absentHit.body()).isEqualTo("default");
        assertThat(cacheStatus(absentHit)).isEqualTo("edge-test; hit; ttl=60");
        assertThat(originCount("/lang")).isEqualTo(3);
    }

    @Test
    void severalFieldsInAnyOrderAndCase() {
        origin.stubFor(get("/two-fields").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Vary", "X-B, x-a").withBody("v")));
        edge.get("/two-fields", "X-A", "1", "X-B", "2");
        assertThat(cacheStatus(edge.get("/two-fields", "x-b", "2", "x-a", "1"))).isEqualTo("edge-test; hit; ttl=60");
        assertThat(cacheStatus(edge.get("/two-fields", "X-A", "1", "X-B", "3"))).startsWith("edge-test; fwd=vary-miss");
        assertThat(cacheStatus(edge.get("/two-fields", "X-A", "1"))).startsWith("edge-test; fwd=vary-miss");
        assertThat(originCount("/two-fields")).isEqualTo(3);
    }

    @Test
    void varyStarNeverMatches() {
        origin.stubFor(get("/star").willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("Vary", "Accept-Encoding, *").withBody("s")));
        HttpResponse<String> first = edge.get("/star");
        assertThat(cacheStatus(first)).isEqualTo("edge-test; fwd=miss; fwd-status=200; detail=vary-star");
        HttpResponse<String> second = edge.get("/star");
        assertThat(second.body()).isEqualTo("s");
        assertThat(cacheStatus(second)).startsWith("edge-test; fwd=bypass");
        assertThat(originCount("/star")).isEqualTo(2);
    }

    @Test
    void variantsPerUrlAreBounded() {
        origin.stubFor(get("/bounded").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("Vary", "X-V").withBody("v")));
        for (int i = 1; i <= 4; i++) {
            assertThat(cacheStatus(edge.get("/bounded", "X-V", Integer.toString(i)))).contains("stored");
            CLOCK.advanceSeconds(1);
        }
        // three kept: the newest
        for (int i = 4; i >= 2; i--) {
            assertThat(cacheStatus(edge.get("/bounded", "X-V", Integer.toString(i)))).as("variant " + i).startsWith("edge-test; hit");
        }
        assertThat(cacheStatus(edge.get("/bounded", "X-V", "1"))).startsWith("edge-test; fwd=vary-miss");
        assertThat(originCount("/bounded")).isEqualTo(5);
    }
}
