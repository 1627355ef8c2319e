package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static dev.outpost.edge.semantics.Exchanges.header;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * HEAD (RFC 9110 §9.3.2, RFC 9111 §4): answered from a stored GET response, with the GET's
 * header fields and no body. A HEAD miss is asked upstream as a HEAD and relayed, nothing stored:
 * turning it into a GET fill would make each cheap HEAD cost the origin a whole object.
 */
class HeadTest {

    static final ManualClock CLOCK = TestEdge.wallClock();
    static final String LARGE = RangesTest.large(100 * 1024);

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK).yaml("cache: {memory-max-object: 16KiB, chunk-size: 16KiB}"));

    private static HttpResponse<String> head(String path, String... headers) {
        return edge.send("HEAD", path, null, headers);
    }

    @Test
    void headIsAnsweredFromAStoredGet() {
        origin.stubFor(get("/page").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withHeader("ETag", "\"p\"")
                .withHeader("Content-Type", "text/html").withBody("<p>hello</p>")));
        HttpResponse<String> got = edge.get("/page");
        CLOCK.advanceSeconds(3);
        HttpResponse<String> head = head("/page");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(cacheStatus(head)).isEqualTo("edge-test; hit; ttl=57");
        assertThat(header(head, "Age")).isEqualTo("3");
        assertThat(header(head, "Content-Length")).isEqualTo("12");
        for (String field : new String[] {"Content-Type", "ETag", "Cache-Control", "Date"}) {
            assertThat(header(head, field)).as(field).isEqualTo(header(got, field));
        }
        origin.verify(0, headRequestedFor(urlEqualTo("/page")));
        origin.verify(1, getRequestedFor(urlEqualTo("/page")));
    }

    @Test
    void headIsAnsweredFromALargeObjectOnDisk() {
        origin.stubFor(get("/large").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody(LARGE)));
        assertThat(edge.get("/large").body()).hasSize(LARGE.length());
        // the body reaches the client before its store ends: only-if-cached HEADs wait for the store
        // without sending a HEAD upstream (a HEAD miss would, and this origin has no HEAD stub)
        Await.until("the large object stored", Duration.ofSeconds(10),
                () -> cacheStatus(head("/large", "Cache-Control", "only-if-cached")).startsWith("edge-test; hit"));
        HttpResponse<String> head = head("/large");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "Content-Length")).isEqualTo(Integer.toString(LARGE.length()));
        assertThat(cacheStatus(head)).startsWith("edge-test; hit");
        origin.verify(0, headRequestedFor(urlEqualTo("/large")));
    }

    @Test
    void aHeadMissIsAskedUpstreamAsHeadAndNothingIsStored() {
        origin.stubFor(get("/head-first").willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("body")));
        origin.stubFor(WireMock.request("HEAD", urlEqualTo("/head-first")).willReturn(aResponse().withHeader("Cache-Control", "max-age=60")
                .withHeader("ETag", "\"h\"").withHeader("Content-Length", "4")));
        HttpResponse<String> head = head("/head-first");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "Content-Length")).isEqualTo("4");
        assertThat(header(head, "ETag")).isEqualTo("\"h\"");
        // a HEAD miss costs the origin a head, never a whole body: nothing is stored from it
        assertThat(cacheStatus(head)).isEqualTo("edge-test; fwd=miss; fwd-status=200");
        origin.verify(1, headRequestedFor(urlEqualTo("/head-first")));
        origin.verify(0, getRequestedFor(urlEqualTo("/head-first")));
        assertThat(cacheStatus(head("/head-first"))).isEqualTo("edge-test; fwd=miss; fwd-status=200");
        origin.verify(2, headRequestedFor(urlEqualTo("/head-first")));
        // a GET stores the object, and HEADs are then answered from it
        HttpResponse<String> get = edge.get("/head-first");
        assertThat(get.body()).isEqualTo("body");
        assertThat(cacheStatus(get)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
        // only-if-cached: a HEAD that misses while the store is under way must not count as one more at the origin
        Await.until("the GET response stored", Duration.ofSeconds(10),
                () -> cacheStatus(head("/head-first", "Cache-Control", "only-if-cached")).startsWith("edge-test; hit"));
        origin.verify(1, getRequestedFor(urlEqualTo("/head-first")));
        origin.verify(2, headRequestedFor(urlEqualTo("/head-first")));
    }

    @Test
    void aStaleEntryIsRevalidatedForAHeadToo() {
        origin.stubFor(get("/head-stale").willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withHeader("ETag", "\"s\"")
                .withBody("stale body")));
        edge.get("/head-stale");
        CLOCK.advanceSeconds(11);
        origin.stubFor(get("/head-stale").withHeader("If-None-Match", equalTo("\"s\"")).willReturn(aResponse().withStatus(304)
                .withHeader("Cache-Control", "max-age=10")));
        HttpResponse<String> head = head("/head-stale");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "Content-Length")).isEqualTo("10");
        assertThat(cacheStatus(head)).isEqualTo("edge-test; fwd=stale; fwd-status=304; ttl=10; detail=revalidated");
        assertThat(edge.get("/head-stale").body()).isEqualTo("stale body");
    }

    @Test
    void headOfAStoredErrorIsTheErrorsHead() {
        origin.stubFor(get("/head-404").willReturn(aResponse().withStatus(404).withHeader("Cache-Control", "max-age=5").withBody("none")));
        edge.get("/head-404");
        HttpResponse<String> head = head("/head-404");
        assertThat(head.statusCode()).isEqualTo(404);
        assertThat(head.body()).isEmpty();
        assertThat(cacheStatus(head)).startsWith("edge-test; hit");
    }
}
