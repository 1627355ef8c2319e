package dev.outpost.edge.hardening;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.http.RequestTarget;
import dev.outpost.testing.OriginExtension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cache poisoning and deception, over real sockets with WireMock as the origin (it reflects
 * request fields into its bodies, so a field that reached it shows in what is stored):
 * unkeyed fields never reach the origin nor change a stored entry, fields a key or Vary depends
 * on cannot be hidden with {@code Connection}, GET and HEAD bodies never go upstream, host and
 * path spellings share one entry and the origin sees the same normalised target, unknown hosts
 * never reach the default origin, errors are kept only for {@code error-ttl}, and a private
 * response on a static-looking path is not cached unless a rule says {@code force-cache}.
 */
class PoisoningTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    /** Fields that could change a response without being part of its key. */
    static final List<String> UNKEYED = List.of("X-Forwarded-Host", "X-Forwarded-Server", "X-Forwarded-Scheme",
            "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-SSL", "X-Original-URL",
            "X-Rewrite-URL", "X-Original-Host", "X-Host", "X-HTTP-Method-Override", "X-HTTP-Method",
            "X-Method-Override", "Front-End-Https", "X-Real-IP", "Forwarded", "X-Forwarded-For");

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()).yaml("""
                hosts: [example.com, "*.cdn.example.com"]
                rules:
                  - name: keyed
                    match: {path-prefix: /keyed/}
                    cache-key: {headers: [X-Forwarded-Host, X-Device]}
                  - name: deny-utm
                    match: {path-prefix: /q/}
                    cache-key: {query: deny, query-params: [utm_source]}
                  - name: allow-v
                    match: {path-prefix: /qa/}
                    cache-key: {query: allow, query-params: [v]}
                  - name: forced
                    match: {path-prefix: /forced/}
                    force-cache: true
                    ttl: 1h
                  - name: css-by-extension
                    match: {path-glob: "/**.css"}
                    ttl: 1h
                    ttl-mode: override
                  - name: api
                    match: {path-prefix: /api/}
                    bypass: true
                  - name: no-errors
                    match: {path-prefix: /noerr/}
                    error-ttl: 0s
                """));

    /** A body that shows every unkeyed field the origin received. */
    private static String reflectingBody() {
        StringBuilder sb = new StringBuilder("origin saw:");
        for (String h : UNKEYED) {
            sb.append(' ').append(h).append("=[{{{request.headers.").append(h).append("}}}]");
        }
        return sb.toString();
    }

    private static String expectedCleanBody() {
        StringBuilder sb = new StringBuilder("origin saw:");
        for (String h : UNKEYED) {
            String v = switch (h) {
                case "X-Forwarded-Proto" -> "http"; // the node's own, from the connection
                case "X-Forwarded-For" -> "127.0.0.1";
                case "Forwarded" -> "for=127.0.0.1;proto=http;host=\"example.com\"";
                default -> "";
            };
            sb.append(' ').append(h).append("=[").append(v).append(']');
        }
        return sb.toString();
    }

    private static String cs(java.net.http.HttpResponse<?> r) {
        return r.headers().firstValue("Cache-Status").orElse("");
    }

    @Test
    void unkeyedFieldsNeverReachTheOriginNorChangeTheStoredResponse() {
        origin.stubFor(get(urlPathMatching("/page/.*")).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody(reflectingBody()).withTransformers("response-template")));
        String clean = expectedCleanBody();
        int i = 0;
        for (String field : UNKEYED) {
            String path = "/page/" + i++;
            String value = field.equals("Forwarded") ? "for=6.6.6.6;host=evil.example;proto=https"
                    : field.equals("X-Forwarded-For") ? "6.6.6.6" : field.startsWith("X-HTTP-Method") || field.endsWith("Method-Override")
                    ? "DELETE" : field.equals("X-Original-URL") || field.equals("X-Rewrite-URL") ? "/admin" : "evil.example";
            var poisoned = edge.get(path, "Host", "example.com", field, value);
            assertThat(poisoned.statusCode()).isEqualTo(200);
            assertThat(poisoned.body()).as("what the origin saw of a request carrying %s", field).isEqualTo(clean);
            var later = edge.get(path, "Host", "example.com");
            assertThat(cs(later)).startsWith("edge-test; hit");
            assertThat(later.body()).as("the entry stored after a request with %s", field).isEqualTo(clean);
            LoggedRequest seen = origin.findAll(getRequestedFor(urlEqualTo(path))).getFirst();
            assertThat(seen.getMethod().getName()).isEqualTo("GET");
            assertThat(seen.getHeader(field)).as("%s as the origin got it", field).isNotEqualTo(value);
            assertThat(seen.getHeader("Host")).isEqualTo("example.com");
        }
        origin.verify(UNKEYED.size(), getRequestedFor(urlPathMatching("/page/.*")));
    }

    @Test
    void aFieldTheKeyNamesIsForwardedAndKeyedApart() {
        origin.stubFor(get(urlPathEqualTo("/keyed/a")).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("xfh=[{{{request.headers.X-Forwarded-Host}}}]").withTransformers("response-template")));
        assertThat(edge.get("/keyed/a", "Host", "example.com", "X-Forwarded-Host", "one.example").body()).isEqualTo("xfh=[one.example]");
        assertThat(edge.get("/keyed/a", "Host", "example.com", "X-Forwarded-Host", "two.example").body()).isEqualTo("xfh=[two.example]");
        assertThat(edge.get("/keyed/a", "Host", "example.com").body()).isEqualTo("xfh=[]");
        var again = edge.get("/keyed/a", "Host", "example.com", "X-Forwarded-Host", "one.example");
        assertThat(cs(again)).startsWith("edge-test; hit");
        assertThat(again.body()).isEqualTo("xfh=[one.example]");
        assertThat(edge.get("/keyed/a", "Host", "example.com").body()).isEqualTo("xfh=[]");
        origin.verify(3, getRequestedFor(urlPathEqualTo("/keyed/a")));
    }

    @Test
    void connectionOptionsCannotHideAFieldTheKeyOrVaryDependsOn() {
        origin.stubFor(get(urlPathEqualTo("/keyed/device")).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("device=[{{{request.headers.X-Device}}}]").withTransformers("response-template")));
        origin.stubFor(get(urlPathEqualTo("/vary/lang")).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withHeader("Vary", "X-Lang").withBody("lang=[{{{request.headers.X-Lang}}}]").withTransformers("response-template")));
        // hop-by-hop abuse: the client names the field in Connection, so a proxy that strips it
        // before upstream would store the origin's default answer under the 'mobile' key
        Wire.Response trick = Wire.get(edge.port(), "GET", "/keyed/device", "example.com", "X-Device: mobile",
                "Connection: X-Device");
        assertThat(trick.status()).isEqualTo(200);
        var mobile = edge.get("/keyed/device", "Host", "example.com", "X-Device", "mobile");
        assertThat(mobile.body()).as("the entry for X-Device: mobile").isEqualTo("device=[mobile]");

        Wire.Response varyTrick = Wire.get(edge.port(), "GET", "/vary/lang", "example.com", "X-Lang: fr",
                "Connection: X-Lang");
        assertThat(varyTrick.status()).isEqualTo(200);
        var fr = edge.get("/vary/lang", "Host", "example.com", "X-Lang", "fr");
        assertThat(fr.body()).as("the variant for X-Lang: fr").isEqualTo("lang=[fr]");
        var none = edge.get("/vary/lang", "Host", "example.com");
        assertThat(none.body()).isEqualTo("lang=[]");
    }

    @Test
    void getAndHeadBodiesNeverReachTheOrigin() {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "max-age=600").withBody("ok")));
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n";
        String last = "GET /final HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n";
        for (String method : List.of("GET", "HEAD")) {
            for (String path : List.of("/body/" + method, "/api/body/" + method)) {
                Wire.Response withLength = Wire.send(edge.port(), method + " " + path + " HTTP/1.1\r\nHost: example.com\r\n"
                        + "Content-Length: " + smuggled.length() + "\r\n\r\n" + smuggled + last);
                Wire.Response chunked = Wire.send(edge.port(), method + " " + path + "?c HTTP/1.1\r\nHost: example.com\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled
                        + "\r\n0\r\n\r\n" + last);
                // refused on a bypass path too: never forwarded, and never left unread on the connection
                assertThat(withLength.status()).as("%s %s with Content-Length", method, path).isEqualTo(400);
                assertThat(chunked.status()).as("%s %s chunked", method, path).isEqualTo(400);
            }
        }
        origin.verify(0, anyRequestedFor(urlPathEqualTo("/final")));
        for (LoggedRequest r : origin.findAll(anyRequestedFor(anyUrl()))) {
            assertThat(r.getBody()).as("body of %s %s as the origin got it", r.getMethod(), r.getUrl()).isEmpty();
            assertThat(r.getUrl()).doesNotContain("smuggled");
        }
        origin.verify(0, anyRequestedFor(urlPathEqualTo("/smuggled")));
    }

    @Test
    void hostSpellingsShareOneEntryAndUnknownHostsNeverReachTheOrigin() {
        origin.stubFor(get(urlPathEqualTo("/h")).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("host=[{{{request.headers.Host}}}]").withTransformers("response-template")));
        List<String> spellings = List.of("example.com", "EXAMPLE.com", "example.com:80", "example.com.", "Example.COM.:80",
                "example.com.:80");
        for (String h : spellings) {
            Wire.Response r = Wire.get(edge.port(), "GET", "/h", h);
            assertThat(r.status()).as(h).isEqualTo(200);
            assertThat(r.bodyText()).as(h).isEqualTo("host=[example.com]");
        }
        origin.verify(1, getRequestedFor(urlPathEqualTo("/h")).withHeader("Host", equalTo("example.com")));
        assertThat(Wire.get(edge.port(), "GET", "/h", "a.cdn.example.com").status()).isEqualTo(200);

        for (String h : List.of("evil.example", "example.com.evil.example", "evilexample.com", "cdn.example.com",
                "example.co", "localhost", "127.0.0.1", "[::1]")) {
            Wire.Response r = Wire.get(edge.port(), "GET", "/h", h);
            assertThat(r.status()).as("Host: %s", h).isEqualTo(421);
            assertThat(r.header("cache-status")).as("a refusal is not a cache answer").isNull();
        }
        for (String h : List.of("example.com@evil.example", "example.com/x", "example.com:99999", "exa mple.com", "")) {
            assertThat(Wire.get(edge.port(), "GET", "/h", h).status()).as("Host: %s", h).isEqualTo(400);
        }
        origin.verify(2, anyRequestedFor(urlPathEqualTo("/h")));

        try (TestEdge notFound = TestEdge.withOrigin(origin.baseUrl())
                .yaml("hosts: [example.com]\nunknown-host-status: 404").start()) {
            assertThat(Wire.get(notFound.port(), "GET", "/h", "evil.example").status()).isEqualTo(404);
            assertThat(Wire.get(notFound.port(), "GET", "/h", "example.com").status()).isEqualTo(200);
        }
        origin.verify(3, anyRequestedFor(urlPathEqualTo("/h")));
    }

    @Test
    void pathSpellingsShareOneEntryAndTheOriginSeesTheNormalisedTarget() throws Exception {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("url=[{{{request.url}}}]").withTransformers("response-template")));
        List<List<String>> groups = List.of(
                List.of("/n/a/b/c.txt", "/n/a/./b/c.txt", "/n/a/x/../b/c.txt", "/n/a/%62/c.txt", "/n/a/b/%63.txt",
                        "/n/a/x/%2e%2e/b/c.txt", "/n/a/x/%2E%2E/b/./c.txt", "/n/%61/b/c%2Etxt", "/n/a/b/c.txt/../c.txt",
                        "/n/../n/a/b/c.txt", "/../../n/a/b/c.txt"),
                List.of("/n/t/~", "/n/t/%7e", "/n/t/%7E"),
                List.of("/n/e%2fx", "/n/e%2Fx"),
                List.of("/n/e/x"),
                List.of("/n/d/%252e%252e/c.txt"),
                List.of("/n/d/%252E%252E/c.txt"),
                List.of("/n/s;v=1/c.txt", "/n/s;v=1/./c.txt"),
                List.of("/n/s/c.txt"),
                List.of("/n/..;/a/b/c.txt"),
                List.of("/n/u/%C3%A9", "/n/u/%c3%a9"),
                List.of("/n/q?b=2&a=1", "/n/q?a=1&b=2", "/n/q?a=%31&b=2"),
                List.of("/n/q?a=%2F", "/n/q?a=%2f"),
                List.of("/n/q?a=/"));
        for (List<String> group : groups) {
            String first = null;
            for (String spelling : group) {
                Wire.Response r = Wire.get(edge.port(), "GET", spelling, "example.com");
                assertThat(r.status()).as(spelling).isEqualTo(200);
                if (first == null) {
                    first = r.bodyText();
                    assertThat(r.cacheStatus()).as(spelling).contains("fwd=miss");
                } else {
                    assertThat(r.bodyText()).as("%s shares the entry of %s", spelling, group.get(0)).isEqualTo(first);
                    assertThat(r.cacheStatus()).as(spelling).startsWith("edge-test; hit");
                }
            }
        }
        List<String> seen = origin.findAll(anyRequestedFor(anyUrl())).stream().map(LoggedRequest::getUrl).toList();
        assertThat(seen).as("one origin request per distinct resource").hasSize(groups.size());
        for (int g = 0; g < groups.size(); g++) {
            String target = RequestTarget.parse(groups.get(g).get(0)).toUri();
            assertThat(seen).as("the origin got the normalised target of %s", groups.get(g).get(0)).contains(
                    target.contains("?") ? sortedQuery(target) : target);
        }
    }

    /** Every printable character in a path and in a query: the origin gets exactly what the key is made of. */
    @Test
    void theOriginGetsExactlyTheTargetTheKeyIsMadeOf() throws Exception {
        try (ScriptedOrigin raw = ScriptedOrigin.echoingTarget();
             TestEdge node = TestEdge.withOrigin(raw.baseUrl()).start()) {
            Map<String, String> mismatches = new LinkedHashMap<>();
            Set<Character> refused = new TreeSet<>();
            for (char c = 0x21; c < 0x7f; c++) {
                for (String target : List.of("/chars/p" + (int) c + "/x" + c + "y", "/chars/q" + (int) c + "?x" + c + "y")) {
                    if (c == '#' || (c == '?' && !target.contains("?x"))) {
                        continue;
                    }
                    raw.clear();
                    Wire.Response r = Wire.get(node.port(), "GET", target, "example.com");
                    if (r.status() == 400) {
                        refused.add(c);
                        assertThat(raw.requests()).as("refused %s reached the origin", target).isEmpty();
                        continue;
                    }
                    assertThat(r.status()).as(target).isEqualTo(200);
                    RequestTarget key = RequestTarget.parse(target);
                    assertThat(raw.requests()).as(target).hasSize(1);
                    String got = raw.requests().getFirst().target();
                    assertThat(r.bodyText()).isEqualTo(got);
                    if (!got.equals(key.toUri())) {
                        mismatches.put(target, "key " + key.toUri() + ", origin got " + got);
                    }
                }
            }
            assertThat(mismatches).as("targets whose cache key differs from what the origin got").isEmpty();
            assertThat(refused).as("characters refused outright, in a path or a query")
                    .containsExactly('"', '%', '<', '>', '\\', '^', '`', '{', '|', '}');
        }
    }

    @Test
    void unkeyedQueryParametersNeverReachTheOriginOnAFill() {
        origin.stubFor(get(urlPathMatching("/qa?/.*")).willReturn(aResponse().withHeader("Cache-Control", "max-age=600")
                .withBody("url=[{{{request.url}}}]").withTransformers("response-template")));
        var first = edge.get("/q/x?id=1&utm_source=%3Cscript%3Eevil", "Host", "example.com");
        assertThat(first.body()).as("what a fill stores").doesNotContain("evil");
        var clean = edge.get("/q/x?id=1", "Host", "example.com");
        assertThat(cs(clean)).startsWith("edge-test; hit");
        assertThat(clean.body()).isEqualTo("url=[/q/x?id=1]");
        var allow = edge.get("/qa/x?callback=evil&v=2", "Host", "example.com");
        assertThat(allow.body()).isEqualTo("url=[/qa/x?v=2]");
        assertThat(cs(edge.get("/qa/x?v=2", "Host", "example.com"))).startsWith("edge-test; hit");
        for (LoggedRequest r : origin.findAll(anyRequestedFor(anyUrl()))) {
            assertThat(r.getUrl()).doesNotContain("evil");
        }
    }

    @Test
    void errorsAreKeptOnlyForTheirShortTtl() {
        origin.stubFor(get(urlPathMatching("/(err|noerr)/.*")).willReturn(aResponse().withStatus(404)
                .withHeader("Cache-Control", "max-age=86400").withBody("not here")));
        origin.stubFor(get(urlPathEqualTo("/err/500")).willReturn(aResponse().withStatus(500)
                .withHeader("Cache-Control", "max-age=86400").withBody("broken")));
        origin.stubFor(get(urlPathEqualTo("/err/503")).willReturn(aResponse().withStatus(503).withBody("busy")));
        var r = edge.get("/err/404", "Host", "example.com");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(cs(r)).as("a day's max-age on an error is cut to error-ttl").contains("stored; ttl=10");
        assertThat(edge.get("/err/500", "Host", "example.com").statusCode()).isEqualTo(500);
        assertThat(cs(edge.get("/err/503", "Host", "example.com"))).doesNotContain("stored");
        assertThat(cs(edge.get("/noerr/404", "Host", "example.com"))).doesNotContain("stored");
        edge.clock().advanceSeconds(9);
        assertThat(cs(edge.get("/err/404", "Host", "example.com"))).startsWith("edge-test; hit");
        assertThat(cs(edge.get("/err/500", "Host", "example.com"))).startsWith("edge-test; hit");
        assertThat(cs(edge.get("/err/503", "Host", "example.com"))).contains("fwd=");
        assertThat(cs(edge.get("/noerr/404", "Host", "example.com"))).contains("fwd=");
        edge.clock().advanceSeconds(2);
        assertThat(cs(edge.get("/err/404", "Host", "example.com"))).contains("fwd=stale");
        assertThat(cs(edge.get("/err/500", "Host", "example.com"))).contains("fwd=stale");
        origin.verify(2, getRequestedFor(urlPathEqualTo("/err/404")));
        origin.verify(2, getRequestedFor(urlPathEqualTo("/err/500")));
        origin.verify(2, getRequestedFor(urlPathEqualTo("/err/503")));
        origin.verify(2, getRequestedFor(urlPathEqualTo("/noerr/404")));
    }

    @Test
    void aPrivateResponseOnAStaticLookingPathIsNotCachedUnlessForced() {
        Map<String, String[]> personal = new LinkedHashMap<>();
        personal.put("private", new String[] {"Cache-Control", "private, max-age=600"});
        personal.put("no-store", new String[] {"Cache-Control", "no-store"});
        personal.put("set-cookie", new String[] {"Set-Cookie", "session=abc"});
        personal.put("no-cache-control", new String[] {"X-None", "1"});
        List<String> paths = new ArrayList<>();
        for (var e : personal.entrySet()) {
            for (String path : List.of("/account/" + e.getKey() + "/x.css", "/account;" + e.getKey() + ".css",
                    "/account/" + e.getKey() + "/z/%2e%2e/y.css", "/forced/" + e.getKey() + ".css")) {
                origin.stubFor(get(urlEqualTo(norm(path))).willReturn(aResponse()
                        .withHeader(e.getValue()[0], e.getValue()[1])
                        .withBody("account of {{{request.headers.Cookie}}}").withTransformers("response-template")));
                paths.add(path);
            }
        }
        for (String path : paths) {
            String target = norm(path);
            boolean forced = path.startsWith("/forced/");
            boolean cookieStorable = path.contains("no-cache-control"); // no freshness: the css rule's TTL applies
            var victim = edge.get(path, "Host", "example.com", "Cookie", "user=victim");
            assertThat(victim.body()).isEqualTo("account of user=victim");
            var attacker = edge.get(path, "Host", "example.com", "Cookie", "user=attacker");
            if (forced || cookieStorable) {
                assertThat(cs(attacker)).as("%s: a rule said so", path).startsWith("edge-test; hit");
                continue;
            }
            assertThat(cs(attacker)).as(path).doesNotStartWith("edge-test; hit");
            assertThat(attacker.body()).as("%s served to another client", path).isEqualTo("account of user=attacker");
            origin.verify(2, getRequestedFor(urlEqualTo(target)));
        }
    }

    private static String norm(String raw) {
        try {
            return RequestTarget.parse(raw).toUri();
        } catch (RequestTarget.InvalidTargetException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String sortedQuery(String target) {
        int q = target.indexOf('?');
        String[] params = target.substring(q + 1).split("&");
        java.util.Arrays.sort(params);
        return target.substring(0, q + 1) + String.join("&", params);
    }
}
