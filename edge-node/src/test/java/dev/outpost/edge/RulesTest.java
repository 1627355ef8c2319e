package dev.outpost.edge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.OriginExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Per-path rules: matching (prefix, glob, regex, host, method), TTLs, browser Cache-Control, bypass, keys, origins. */
class RulesTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @RegisterExtension
    static final OriginExtension images = new OriginExtension();

    @RegisterExtension
    final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).yaml("""
                origins:
                  - name: images
                    servers: [{url: "%s"}]
                rules:
                  - name: static
                    match: {path-prefix: /static/}
                    ttl: 1h
                    ttl-mode: override
                  - name: first-wins
                    match: {path-prefix: /static/late/}
                    ttl: 5s
                    ttl-mode: override
                  - name: pngs
                    match: {path-glob: "/img/**.png"}
                    origin: images
                    ttl: 10m
                  - name: api
                    match: {path-regex: "^/api/v[0-9]+/"}
                    bypass: true
                  - name: brand
                    match: {host: "*.example.test"}
                    browser-cache-control: "public, max-age=60"
                  - name: posts-only
                    match: {path-prefix: /m/, methods: [POST]}
                    ttl: 1d
                  - name: no-query
                    match: {path-prefix: /q/}
                    cache-key: {query: none}
                  - name: allow
                    match: {path-prefix: /k/}
                    cache-key: {query: allow, query-params: [v]}
                  - name: deny
                    match: {path-prefix: /d/}
                    cache-key: {query: deny, query-params: [utm_source]}
                  - name: device
                    match: {path-prefix: /h/}
                    cache-key: {headers: [X-Device]}
                """.formatted(images.baseUrl())));

    @BeforeEach
    void stub() {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "max-age=10").withBody("origin")));
        images.stubFor(any(anyUrl()).willReturn(aResponse().withBody("image")));
    }

    private String cacheStatus(HttpResponse<String> r) {
        return r.headers().firstValue("Cache-Status").orElseThrow();
    }

    @Test
    void overrideTtlReplacesTheOrigins() {
        assertThat(cacheStatus(edge.get("/static/app.js"))).contains("stored; ttl=3600");
        assertThat(cacheStatus(edge.get("/static/late/x.js"))).as("the first matching rule wins").contains("ttl=3600");
    }

    @Test
    void globRuleChoosesOriginAndDefaultTtl() {
        HttpResponse<String> r = edge.get("/img/a/b/logo.png");
        assertThat(r.body()).isEqualTo("image");
        assertThat(cacheStatus(r)).contains("stored; ttl=600");
        assertThat(edge.get("/img/a/b/logo.png").body()).isEqualTo("image");
        images.verify(1, anyRequestedFor(urlPathEqualTo("/img/a/b/logo.png")));
        assertThat(edge.get("/img/logo.gif").body()).isEqualTo("origin");
    }

    @Test
    void regexBypassAlwaysGoesToOrigin() {
        edge.get("/api/v2/users");
        HttpResponse<String> r = edge.get("/api/v2/users");
        assertThat(cacheStatus(r)).isEqualTo("edge-test; fwd=bypass; fwd-status=200");
        origin.verify(2, anyRequestedFor(urlPathEqualTo("/api/v2/users")));
        assertThat(cacheStatus(edge.get("/api/latest"))).contains("stored");
    }

    @Test
    void hostRuleSetsBrowserCacheControl() {
        HttpResponse<String> r = edge.get("/page", "Host", "www.example.test");
        assertThat(r.headers().allValues("Cache-Control")).containsExactly("public, max-age=60");
        assertThat(cacheStatus(r)).contains("ttl=10");
        assertThat(edge.get("/page", "Host", "other.test").headers().allValues("Cache-Control")).containsExactly("max-age=10");
    }

    @Test
    void methodConditionLimitsTheRule() {
        assertThat(cacheStatus(edge.get("/m/x"))).contains("ttl=10");
    }

    @Test
    void queryNoneSharesOneEntry() {
        edge.get("/q/x?a=1");
        assertThat(cacheStatus(edge.get("/q/x?a=2"))).startsWith("edge-test; hit");
        origin.verify(1, anyRequestedFor(urlPathEqualTo("/q/x")));
    }

    @Test
    void queryAllowListAndSorting() {
        edge.get("/k/x?v=1&utm=a");
        assertThat(cacheStatus(edge.get("/k/x?utm=b&v=1"))).startsWith("edge-test; hit");
        assertThat(cacheStatus(edge.get("/k/x?v=2"))).contains("fwd=miss");
        edge.get("/s/x?b=2&a=1");
        assertThat(cacheStatus(edge.get("/s/x?a=1&b=2"))).as("all parameters count, sorted").startsWith("edge-test; hit");
    }

    @Test
    void queryDenyList() {
        edge.get("/d/x?id=1&utm_source=mail");
        assertThat(cacheStatus(edge.get("/d/x?id=1&utm_source=web"))).startsWith("edge-test; hit");
        assertThat(cacheStatus(edge.get("/d/x?id=2&utm_source=web"))).contains("fwd=miss");
    }

    @Test
    void headerInKeySeparatesEntries() {
        edge.get("/h/x", "X-Device", "mobile");
        assertThat(cacheStatus(edge.get("/h/x", "X-Device", "mobile"))).startsWith("edge-test; hit");
        assertThat(cacheStatus(edge.get("/h/x", "X-Device", "desktop"))).contains("fwd=miss");
        origin.verify(2, anyRequestedFor(urlPathEqualTo("/h/x")));
    }
}
