package dev.outpost.edge.semantics;

import static dev.outpost.edge.semantics.Exchanges.cacheStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * 1xx responses from the origin (RFC 9110 §15.2) before the final one: never stored, never
 * taken for the final response, and nothing of them (a 103's Link) ends up in what is stored
 * or served, over HTTP/1.1 and HTTP/2 to the client.
 *
 * <p>They are not forwarded either, and these tests pin that down: the origin client (OkHttp
 * 5.4) reads every interim head and discards it before the caller sees anything, and
 * Undertow 2.4 sends an interim response only as the answer to {@code Expect: 100-continue}.
 * See the edge README, "1xx responses".
 */
class InformationalResponsesTest {

    private static final String FINAL = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 5\r\n\r\nfinal";

    private static final String EARLY_HINTS = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n"
            + "X-Hint: only-in-103\r\n\r\n";

    @Test
    void earlyHintsBeforeTheFinalResponseAreNeitherStoredNorServedAsFinal() {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            HttpResponse<String> miss = edge.get("/hinted");
            assertThat(miss.statusCode()).isEqualTo(200);
            assertThat(miss.body()).isEqualTo("final");
            assertThat(miss.headers().map()).doesNotContainKeys("link", "x-hint");
            assertThat(cacheStatus(miss)).isEqualTo("edge-test; fwd=miss; fwd-status=200; stored; ttl=60");
            HttpResponse<String> hit = edge.get("/hinted");
            assertThat(hit.statusCode()).isEqualTo(200);
            assertThat(hit.body()).isEqualTo("final");
            assertThat(hit.headers().map()).doesNotContainKeys("link", "x-hint");
            assertThat(cacheStatus(hit)).isEqualTo("edge-test; hit; ttl=60");
            assertThat(origin.count()).isEqualTo(1);
        }
    }

    @Test
    void severalInterimResponsesOfAnyKindComeToNothing() {
        String interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" + EARLY_HINTS
                + "HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n";
        try (RawOrigin origin = new RawOrigin(interim + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            String raw = rawGet(edge.port(), "/interim");
            // exactly one response on the wire to the client: the final one, whole
            assertThat(raw).startsWith("HTTP/1.1 200 ");
            assertThat(raw).doesNotContain("HTTP/1.1 1").doesNotContainIgnoringCase("link:").doesNotContain("X-Hint");
            assertThat(raw).endsWith("\r\n\r\nfinal");
            assertThat(cacheStatus(edge.get("/interim"))).isEqualTo("edge-test; hit; ttl=60");
            assertThat(origin.count()).isEqualTo(1);
        }
    }

    @Test
    void overHttp2TheClientGetsTheFinalResponseOnly() throws IOException {
        try (RawOrigin origin = new RawOrigin(EARLY_HINTS + FINAL);
             TestEdge edge = TestEdge.withOrigin(origin.url()).start()) {
            OkHttpClient h2 = new OkHttpClient.Builder().protocols(List.of(Protocol.H2_PRIOR_KNOWLEDGE)).build();
            Request request = new Request.Builder().url("http://127.0.0.1:" + edge.port() + "/hinted-h2").build();
            try (Response r = h2.newCall(request).execute()) {
                assertThat(r.protocol()).isEqualTo(Protocol.H2_PRIOR_KNOWLEDGE);
                assertThat(r.code()).isEqualTo(200);
                assertThat(r.header("Link")).isNull();
                assertThat(r.body().string()).isEqualTo("final");
            }
            try (Response r = h2.newCall(request).execute()) {
                assertThat(r.header("Cache-Status")).isEqualTo("edge-test; hit; ttl=60");
                assertThat(r.header("Link")).isNull();
            }
            assertThat(origin.count()).isEqualTo(1);
        }
    }

    /** A GET on a connection of its own, closed after the response; every byte the edge sent. */
    private static String rawGet(int port, String path) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
