package dev.outpost.edge.semantics;

import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.PemTls;
import dev.outpost.edge.TestEdge;
import dev.outpost.edge.TestTls;
import dev.outpost.edge.hostile.RawH2;
import dev.outpost.edge.origin.InterimResponse;
import dev.outpost.edge.origin.Origins;
import dev.outpost.edge.origin.Pools;
import dev.outpost.edge.origin.UpstreamRequest;
import dev.outpost.edge.origin.UpstreamResponse;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.PrometheusText;
import dev.outpost.testing.RawHttp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1xx responses from the origin (RFC 9110 §15.2) before the final one: a {@code 103 Early
 * Hints} is forwarded to the client whose request went upstream, over HTTP/1.1 and HTTP/2,
 * before the final response, and never stored nor served again: the stored response has only
 * the final response's fields, and a hit gets no 103. Other interim responses (100, 102) are
 * not forwarded, and a rule may drop 103s ({@code early-hints: drop}).
 */
class InformationalResponsesTest {

    private static final String FINAL = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 5\r\n\r\nfinal";

    private static final String EARLY_HINTS = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n"
            + "X-Hint: only-in-103\r\nConnection: X-Private\r\nX-Private: hop\r\nKeep-Alive: timeout=5\r\n\r\n";

    private static final String STYLE_HINT = "Link: </style.css>; rel=preload; as=style\r\nX-Hint: only-in-103\r\n\r\n";

    @Test
    void earlyHintsReachAnHttp11ClientBeforeTheFinalResponseAndAreNeverStored() {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            String raw = rawGet(edge.port(), "/hinted", "HTTP/1.1");
            // the 103 first, with its end-to-end fields only, then the final response, whole
            assertThat(raw).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT + "HTTP/1.1 200 ");
            String finalResponse = raw.substring(raw.indexOf("HTTP/1.1 200 "));
            assertThat(finalResponse).doesNotContainIgnoringCase("link:").doesNotContain("X-Hint").endsWith("\r\n\r\nfinal");
            assertThat(raw).doesNotContainIgnoringCase("x-private").doesNotContainIgnoringCase("keep-alive: timeout");
            assertThat(finalResponse).contains("Cache-Status: edge-test; fwd=miss; fwd-status=200; stored; ttl=60");

            HttpResponse<String> hit = edge.get("/hinted");
            assertThat(hit.statusCode()).isEqualTo(200);
            assertThat(hit.body()).isEqualTo("final");
            assertThat(hit.headers().map()).doesNotContainKeys("link", "x-hint");
            assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
            String rawHit = rawGet(edge.port(), "/hinted", "HTTP/1.1");
            assertThat(rawHit).startsWith("HTTP/1.1 200 ").doesNotContain("103").doesNotContainIgnoringCase("link:");
            assertThat(origin.count()).isEqualTo(1);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(1.0);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "dropped")).isEqualTo(0.0);
        }
    }

    @Test
    void theConnectionStaysUsableAfterA103KeptAliveOrPipelined() throws IOException {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start();
             Socket s = new Socket(InetAddress.getLoopbackAddress(), edge.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(request(edge.port(), "/kept", "HTTP/1.1", false));
            String first = readUntil(in, "\r\n\r\nfinal");
            assertThat(first).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT + "HTTP/1.1 200 ");
            out.write(request(edge.port(), "/kept", "HTTP/1.1", true));
            String second = readAll(in);
            assertThat(second).startsWith("HTTP/1.1 200 ").contains("edge-test; hit").endsWith("\r\n\r\nfinal");

            // two requests in one write: the 103 of the first still comes first, and the second is a hit
            String pipelined = RawHttp.send(edge.port(), new String(request(edge.port(), "/piped", "HTTP/1.1", false),
                    StandardCharsets.ISO_8859_1) + new String(request(edge.port(), "/piped", "HTTP/1.1", true), StandardCharsets.ISO_8859_1),
                    30_000).response();
            assertThat(pipelined).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT + "HTTP/1.1 200 ");
            assertThat(pipelined.split("HTTP/1.1 ", -1)).hasSize(4); // 103, 200, 200
            assertThat(pipelined).contains("edge-test; hit").endsWith("\r\n\r\nfinal");
            assertThat(origin.count()).isEqualTo(2);
        }
    }

    @Test
    void severalEarlyHintsInARowAreForwardedInOrderAndOtherInterimResponsesAreNot() {
        String interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" + EARLY_HINTS
                + "HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n";
        try (RawOrigin origin = new RawOrigin(interim + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            String raw = rawGet(edge.port(), "/interim", "HTTP/1.1");
            assertThat(raw).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT
                    + "HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\nHTTP/1.1 200 ");
            assertThat(raw).doesNotContain("100 Continue").doesNotContain("102").endsWith("\r\n\r\nfinal");
            assertThat(cacheStatus(edge.get("/interim"))).isEqualTo("edge-test; hit; ttl=60");
            assertThat(origin.count()).isEqualTo(1);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(2.0);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "dropped")).isEqualTo(1.0); // the 102
        }
    }

    @Test
    void aRuleMayDropThemAndHttp10ClientsNeverGetThem() {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).yaml("""
                     rules:
                       - match: {path-prefix: /quiet/}
                         early-hints: drop
                     """).start()) {
            String dropped = rawGet(edge.port(), "/quiet/page", "HTTP/1.1");
            assertThat(dropped).startsWith("HTTP/1.1 200 ").doesNotContain("103").doesNotContainIgnoringCase("link:");
            String old = rawGet(edge.port(), "/old-client", "HTTP/1.0");
            assertThat(old).startsWith("HTTP/1.0 200 ").doesNotContain("103").doesNotContainIgnoringCase("link:");
            String forwarded = rawGet(edge.port(), "/loud/page", "HTTP/1.1");
            assertThat(forwarded).startsWith("HTTP/1.1 103 Early Hints\r\n");
            assertThat(origin.count()).isEqualTo(3);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "dropped")).isEqualTo(2.0);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(1.0);
        }
    }

    @Test
    void anOversizedInterimHeadIsDroppedAndABodyThatLooksLikeOneIsNeverTakenForOne() {
        String huge = "HTTP/1.1 103 Early Hints\r\nLink: </" + "a".repeat(70 * 1024) + ">; rel=preload\r\n\r\n";
        String lookalike = "HTTP/1.1 103 Early Hints\r\nLink: </evil.js>; rel=preload\r\n\r\n";
        String finalWithLookalike = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: " + lookalike.length()
                + "\r\n\r\n" + lookalike;
        try (RawOrigin origin = new RawOrigin(huge + finalWithLookalike);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            String raw = rawGet(edge.port(), "/big", "HTTP/1.1");
            assertThat(raw).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\n" + lookalike);
            assertThat(raw.split("HTTP/1.1 103", -1)).hasSize(2); // only the body's text
            assertThat(edge.metric("outpost_interim_responses_total", "result", "dropped")).isEqualTo(1.0);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(0.0);
        }
    }

    @Test
    void aCollapsedWaiterDoesNotGetTheLeadersEarlyHints() throws Exception {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + RawOrigin.PAUSE + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start();
             Socket leader = new Socket(InetAddress.getLoopbackAddress(), edge.port())) {
            leader.setSoTimeout(30_000);
            leader.getOutputStream().write(request(edge.port(), "/slow", "HTTP/1.1", true));
            // the leader has its 103 while the origin still works on the final response
            assertThat(readUntil(leader.getInputStream(), STYLE_HINT)).startsWith("HTTP/1.1 103 Early Hints\r\n");
            String waiter = rawGet(edge.port(), "/slow", "HTTP/1.1");
            assertThat(waiter).startsWith("HTTP/1.1 200 ").contains("collapsed").doesNotContain("103")
                    .doesNotContainIgnoringCase("link:").endsWith("final");
            assertThat(readAll(leader.getInputStream())).startsWith("HTTP/1.1 200 ").endsWith("final");
            assertThat(origin.count()).isEqualTo(1);
        }
    }

    @Test
    void aPassedRequestGetsThemToo() {
        String uncacheable = "HTTP/1.1 200 OK\r\nCache-Control: private\r\nContent-Length: 5\r\n\r\nfinal";
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + uncacheable);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            String post = RawHttp.send(edge.port(), "POST /form HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n"
                    + "Connection: close\r\n\r\nabc", 30_000).response();
            assertThat(post).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT + "HTTP/1.1 200 ").endsWith("final");
        }
    }

    @Test
    void overHttp2TheClientGetsAHeadersFrameWith103BeforeTheFinalOne() throws IOException {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start();
             RawH2 h2 = RawH2.open(edge.port())) {
            h2.get(1, "/hinted-h2");
            Await.until("the response on stream 1 to end", Duration.ofSeconds(30),
                    () -> h2.frames.stream().anyMatch(f -> f.startsWith("DATA 1 ") && f.endsWith("END_STREAM")));
            List<String> stream1 = h2.frames.stream().filter(f -> f.matches("\\w+ 1 .*")).toList();
            assertThat(stream1.get(0)).startsWith("HEADERS 1 :status=103 ").contains("link=</style.css>; rel=preload; as=style")
                    .contains("x-hint=only-in-103").doesNotContain("x-private").doesNotContain("keep-alive")
                    .doesNotContain("END_STREAM");
            assertThat(stream1.get(1)).startsWith("HEADERS 1 :status=200 ").doesNotContain("link=").doesNotContain("x-hint")
                    .doesNotContain("END_STREAM");
            assertThat(stream1.get(2)).isEqualTo("DATA 1 5 END_STREAM");

            h2.get(3, "/hinted-h2");
            Await.until("the response on stream 3 to end", Duration.ofSeconds(30),
                    () -> h2.frames.stream().anyMatch(f -> f.startsWith("DATA 3 ") && f.endsWith("END_STREAM")));
            List<String> stream3 = h2.frames.stream().filter(f -> f.matches("\\w+ 3 .*")).toList();
            assertThat(stream3.get(0)).startsWith("HEADERS 3 :status=200 ").contains("cache-status=edge-test; hit")
                    .doesNotContain("link=");
            assertThat(stream3).noneMatch(f -> f.contains(":status=103"));
            assertThat(origin.count()).isEqualTo(1);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(1.0);
        }
    }

    /** A GET with the Host the JDK client sends, so that both share cache keys. */
    @Test
    void anHttpsClientGetsThemOnItsTlsConnection(@TempDir Path dir) throws IOException {
        TestTls tls = TestTls.create(dir);
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).yaml(tls.yaml()).start();
             Socket s = tls.clientContext().getSocketFactory().createSocket("localhost", edge.node().tlsPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request(edge.node().tlsPort(), "/secure", "HTTP/1.1", true));
            String raw = readAll(s.getInputStream());
            assertThat(raw).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT + "HTTP/1.1 200 ").endsWith("\r\n\r\nfinal");
        }
    }

    @Test
    void anEdgeBehindAShieldGetsTheOriginsEarlyHintsFromTheShield() {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge shield = TestEdge.withOrigin(origin.url()).flag("role", "shield").flag("node-id", "shield-1").start();
             TestEdge edge = TestEdge.withOrigin(origin.url()).flag("shield", List.of("http://127.0.0.1:" + shield.port()))
                     .start()) {
            String raw = rawGet(edge.port(), "/shielded", "HTTP/1.1");
            assertThat(raw).startsWith("HTTP/1.1 103 Early Hints\r\n" + STYLE_HINT + "HTTP/1.1 200 ").endsWith("final");
            assertThat(origin.count()).isEqualTo(1);
            assertThat(shield.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(1.0);
            assertThat(edge.metric("outpost_interim_responses_total", "result", "forwarded")).isEqualTo(1.0);
        }
    }

    @Test
    void overATlsOriginTheyAreSeenAsOverPlainHttp(@TempDir Path dir) throws Exception {
        // the node has no setting for a private CA: the origin pools are built on a client that
        // trusts the test certificate, as the node builds them on its own
        TestTls tls = TestTls.create(dir);
        SSLContext serverTls = PemTls.context(tls.certificate(), tls.privateKey(), null);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OkHttpClient base = Origins.baseClient().newBuilder()
                .sslSocketFactory(tls.clientContext().getSocketFactory(), tls.trustManager()).build();
        String twoHints = EARLY_HINTS + "HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n";
        try (RawOrigin origin = RawOrigin.tls(serverTls, twoHints + FINAL);
             Pools pools = new Pools(base, new ManualClock(), registry)) {
            Origins origins = pools.origins(OutpostJson.yaml().readValue(
                    "origins:\n  - name: default\n    servers: [{url: \"" + origin.url() + "\"}]\n", DeliveryConfig.class));
            List<InterimResponse> seen = new CopyOnWriteArrayList<>();
            UpstreamRequest get = new UpstreamRequest("GET", "/tls", List.of("Host"), List.of("localhost"), null, "/tls",
                    "192.0.2.1", "default").withInterim(r -> seen.add(r));
            try (UpstreamResponse resp = origins.fetch(get)) {
                assertThat(resp.status()).isEqualTo(200);
                assertThat(resp.first("Link")).isNull();
                assertThat(new String(resp.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("final");
            }
            assertThat(seen).extracting(InterimResponse::status).containsExactly(103, 103);
            assertThat(seen.get(0).fields().get("Link")).isEqualTo("</style.css>; rel=preload; as=style");
            assertThat(seen.get(1).fields().get("Link")).isEqualTo("</app.js>; rel=preload; as=script");
            assertThat(PrometheusText.sum(registry.scrape(), "outpost_interim_responses_total", "result", "forwarded"))
                    .isEqualTo(2.0);
        }
    }

    private static byte[] request(int port, String path, String version, boolean close) {
        return ("GET " + path + " " + version + "\r\nHost: 127.0.0.1:" + port + "\r\n" + (close ? "Connection: close\r\n" : "")
                + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A GET on a connection of its own, closed after the response; every byte the edge sent. */
    private static String rawGet(int port, String path, String version) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request(port, path, version, true));
            return readAll(s.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (!out.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            out.write(b);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
