package dev.outpost.edge.semantics;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Invalidation (RFC 9111 §4.4): a non-error response to any method not known to be safe
 * (POST, PUT, DELETE, PATCH, and extension methods such as M-SEARCH) invalidates the target URI
 * and the Location and Content-Location URIs on the same host; safe methods invalidate nothing.
 */
class InvalidationTest {

    static final ManualClock CLOCK = TestEdge.wallClock();

    @RegisterExtension
    static final OriginExtension origin = OriginClock.origin(CLOCK);

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).clock(CLOCK));

    private static int originGets(String path) {
        return origin.findAll(getRequestedFor(urlEqualTo(path))).size();
    }

    /** Stores {@code path} and checks that it is a hit. */
    private static void stored(String path) {
        origin.stubFor(get(path).willReturn(aResponse().withHeader("Cache-Control", "max-age=600").withBody("stored " + path)));
        edge.get(path);
        assertThat(cacheStatus(edge.get(path))).startsWith("edge-test; hit");
    }

    private static boolean stillAHit(String path) {
        return cacheStatus(edge.get(path)).startsWith("edge-test; hit");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "M-SEARCH", "FOO", "PURGE-ALL"})
    void aSuccessfulUnsafeRequestInvalidatesItsTarget(String method) {
        String path = "/target-" + method.toLowerCase();
        stored(path);
        origin.stubFor(any(urlEqualTo(path)).atPriority(1).withHeader("X-Method", matching(".*"))
                .willReturn(aResponse().withStatus(204)));
        HttpResponse<String> r = edge.send(method, path, method.equals("DELETE") ? null : "data", "X-Method", method);
        assertThat(r.statusCode()).isEqualTo(204);
        HttpResponse<String> after = edge.get(path);
        assertThat(cacheStatus(after)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=600");
        assertThat(originGets(path)).isEqualTo(2);
    }

    @Test
    void theQueryIsPartOfTheInvalidatedUri() {
        stored("/query?page=1");
        stored("/query?page=2");
        origin.stubFor(post("/query?page=1").willReturn(aResponse().withStatus(200)));
        edge.send("POST", "/query?page=1", "x");
        assertThat(stillAHit("/query?page=1")).isFalse();
        assertThat(stillAHit("/query?page=2")).isTrue();
    }

    @Test
    void anErrorResponseInvalidatesNothing() {
        stored("/error-target");
        for (int status : new int[] {400, 404, 500, 503}) {
            origin.stubFor(post("/error-target").willReturn(aResponse().withStatus(status)));
            assertThat(edge.send("POST", "/error-target", "x").statusCode()).isEqualTo(status);
            assertThat(stillAHit("/error-target")).as("after " + status).isTrue();
        }
        assertThat(originGets("/error-target")).isEqualTo(1);
    }

    @Test
    void locationAndContentLocationOnTheSameHostAreInvalidated() {
        stored("/items/1");
        stored("/items/2");
        stored("/items/3");
        origin.stubFor(post("/items").willReturn(aResponse().withStatus(201)
                .withHeader("Location", "http://127.0.0.1:" + edge.port() + "/items/1")
                .withHeader("Content-Location", "items/2")));
        assertThat(edge.send("POST", "/items", "new").statusCode()).isEqualTo(201);
        assertThat(stillAHit("/items/1")).as("absolute Location").isFalse();
        assertThat(stillAHit("/items/2")).as("relative Content-Location").isFalse();
        assertThat(stillAHit("/items/3")).isTrue();
    }

    @Test
    void locationOnAnotherHostIsNotInvalidated() {
        stored("/others/1");
        stored("/others/2");
        origin.stubFor(post("/others").willReturn(aResponse().withStatus(303)
                .withHeader("Location", "http://other.example/others/1")
                .withHeader("Content-Location", "//localhost:" + edge.port() + "/others/2")));
        edge.send("POST", "/others", "x");
        assertThat(stillAHit("/others/1")).isTrue();
        assertThat(stillAHit("/others/2")).isTrue();
    }

    @Test
    void everyVariantOfTheTargetIsInvalidated() {
        origin.stubFor(get("/varied").willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("Vary", "X-V").withBody("v")));
        edge.get("/varied", "X-V", "a");
        edge.get("/varied", "X-V", "b");
        assertThat(cacheStatus(edge.get("/varied", "X-V", "b"))).startsWith("edge-test; hit");
        origin.stubFor(any(urlEqualTo("/varied")).atPriority(1).withHeader("X-Method", matching(".*"))
                .willReturn(aResponse().withStatus(200)));
        edge.send("PUT", "/varied", "x", "X-Method", "PUT");
        assertThat(cacheStatus(edge.get("/varied", "X-V", "a"))).startsWith("edge-test; fwd=");
        assertThat(cacheStatus(edge.get("/varied", "X-V", "b"))).startsWith("edge-test; fwd=");
        assertThat(originGets("/varied")).isEqualTo(4);
    }

    @Test
    void anExtensionMethodIsForwardedAsItIs() {
        origin.stubFor(any(urlEqualTo("/ext")).atPriority(1).withHeader("X-Method", matching(".*"))
                .willReturn(aResponse().withStatus(200).withBody("extension answered")));
        HttpResponse<String> r = edge.send("M-SEARCH", "/ext", null, "X-Method", "M-SEARCH");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("extension answered");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=method; fwd-status=200");
        assertThat(origin.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(urlEqualTo("/ext")))
                .getFirst().getMethod().getName()).isEqualTo("M-SEARCH");
    }

    @ParameterizedTest
    @ValueSource(strings = {"OPTIONS", "PROPFIND", "REPORT", "QUERY"})
    void aSafeMethodInvalidatesNothing(String method) {
        String path = "/safe-" + method.toLowerCase();
        stored(path);
        origin.stubFor(any(urlEqualTo(path)).atPriority(1).withHeader("X-Method", matching(".*"))
                .willReturn(aResponse().withStatus(200).withHeader("Location", path)));
        assertThat(edge.send(method, path, null, "X-Method", method).statusCode()).isEqualTo(200);
        assertThat(stillAHit(path)).isTrue();
        assertThat(originGets(path)).isEqualTo(1);
    }

    @Test
    void anExtensionMethodInvalidatesLocationToo() {
        stored("/ext-items/1");
        origin.stubFor(any(urlEqualTo("/ext-items")).atPriority(1).withHeader("X-Method", matching(".*"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Location", "/ext-items/1")));
        edge.send("M-SEARCH", "/ext-items", null, "X-Method", "M-SEARCH");
        assertThat(stillAHit("/ext-items/1")).isFalse();
    }
}
