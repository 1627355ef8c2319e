package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.edge.TestTls;
import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheme a client used is part of the default cache key: an origin that redirects plain
 * HTTP to https ({@code 301}, cacheable) must never have that redirect served to https clients
 * of the same URL, which would send them round in a loop.
 */
class SchemeKeyTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @TempDir
    Path tmp;

    @BeforeEach
    void redirectingOrigin() {
        origin.resetAll();
        origin.stubFor(get("/page").withHeader("X-Forwarded-Proto", equalTo("http")).willReturn(aResponse().withStatus(301)
                .withHeader("Location", "https://a.test/page").withHeader("Cache-Control", "max-age=3600")));
        origin.stubFor(get("/page").withHeader("X-Forwarded-Proto", equalTo("https")).willReturn(aResponse()
                .withHeader("Cache-Control", "max-age=3600").withBody("secure page")));
    }

    @Test
    void aRedirectStoredForPlainHttpIsNotServedOverTls() throws Exception {
        TestTls tls = TestTls.create(tmp);
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml(tls.yaml()).start()) {
            OkHttpClient client = new OkHttpClient.Builder().followRedirects(false)
                    .sslSocketFactory(tls.clientContext().getSocketFactory(), tls.trustManager())
                    .hostnameVerifier((h, sess) -> h.equals("localhost")).build();
            // one Host on both listeners, as ports 80 and 443 both normalise to the bare host
            Request plain = new Request.Builder().url("http://127.0.0.1:" + edge.port() + "/page").header("Host", "a.test").build();
            Request secure = new Request.Builder().url("https://localhost:" + edge.node().tlsPort() + "/page")
                    .header("Host", "a.test").build();
            try (Response r = client.newCall(plain).execute()) {
                assertThat(r.code()).isEqualTo(301);
            }
            try (Response r = client.newCall(plain).execute()) {
                assertThat(r.header("cache-status")).contains("hit");
            }
            for (int i = 0; i < 2; i++) {
                try (Response r = client.newCall(secure).execute()) {
                    assertThat(r.code()).as("https client, attempt %d: %s", i, r.header("cache-status")).isEqualTo(200);
                    assertThat(r.body().string()).isEqualTo("secure page");
                }
            }
            origin.verify(1, getRequestedFor(urlEqualTo("/page")).withHeader("X-Forwarded-Proto", equalTo("https")));
            origin.verify(1, getRequestedFor(urlEqualTo("/page")).withHeader("X-Forwarded-Proto", equalTo("http")));
        }
    }

    @Test
    void xForwardedProtoIsBelievedOnlyFromTrustedProxies() {
        try (TestEdge trusting = TestEdge.withOrigin(origin.baseUrl()).yaml("trusted-proxies: [127.0.0.1/32]").start()) {
            assertThat(trusting.get("/page").statusCode()).isEqualTo(301);
            HttpResponse<String> viaProxy = trusting.get("/page", "X-Forwarded-Proto", "https");
            assertThat(viaProxy.statusCode()).as("a TLS-terminating proxy's https request is keyed as https").isEqualTo(200);
            assertThat(trusting.get("/page", "X-Forwarded-Proto", "https").headers().firstValue("cache-status").orElseThrow())
                    .contains("hit");
        }
        origin.resetRequests();
        try (TestEdge untrusting = TestEdge.withOrigin(origin.baseUrl()).start()) {
            assertThat(untrusting.get("/page", "X-Forwarded-Proto", "https").statusCode())
                    .as("an untrusted client's X-Forwarded-Proto changes neither key nor upstream request").isEqualTo(301);
            origin.verify(0, getRequestedFor(urlEqualTo("/page")).withHeader("X-Forwarded-Proto", equalTo("https")));
        }
    }

    @Test
    void aRuleMayShareEntriesAcrossSchemes() {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("trusted-proxies: [127.0.0.1/32]")
                .yaml("default-rule: {cache-key: {scheme: false}}").start()) {
            assertThat(edge.get("/page", "X-Forwarded-Proto", "https").statusCode()).isEqualTo(200);
            HttpResponse<String> plain = edge.get("/page");
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(plain.headers().firstValue("cache-status").orElseThrow()).contains("hit");
        }
    }
}
