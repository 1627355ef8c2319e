package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import dev.outpost.testing.OriginExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The limits that keep one client from exhausting a node, over raw sockets: a request head
 * sent a byte at a time (slowloris) and an idle keep-alive connection are closed at their
 * timeouts; connections past the per-address limit get 429 and are closed; a rule's rate limit
 * answers 429 with Retry-After beyond its token bucket, per address or per header value.
 */
class ClientLimitsTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @Test
    void aRequestHeadTrickledByteByByteIsCutOffAtTheHeaderTimeout() throws Exception {
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("limits: {header-timeout: 1s}").start();
             Socket s = connect(edge.port())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /slow HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
            long start = System.nanoTime(); // wall clock: the header timeout is the listener's real timer
            boolean cut = false;
            // one byte of a never-ending header every 200 ms: each keeps the socket busy, none completes the head
            for (int i = 0; i < 50 && !cut; i++) {
                try {
                    out.write(i == 0 ? 'X' : 'a');
                    out.flush();
                } catch (SocketException e) {
                    cut = true;
                    break;
                }
                cut = closedWithin(s, 200);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(cut).as("connection closed while the head was still trickling in").isTrue();
            assertThat(seconds).as("seconds until the node gave up on the head").isBetween(0.8, 6.0);
        }
        origin.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAtTheIdleTimeout() throws Exception {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("ok")));
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("limits: {idle-timeout: 1s}").start();
             Socket s = connect(edge.port())) {
            s.getOutputStream().write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String head = readHead(s);
            assertThat(head).startsWith("HTTP/1.1 200");
            assertThat(head.toLowerCase()).doesNotContain("connection: close");
            long start = System.nanoTime(); // wall clock: the idle timeout is the listener's real timer
            assertThat(closedWithin(s, 6_000)).as("idle connection closed by the node").isTrue();
            assertThat((System.nanoTime() - start) / 1e9).as("seconds idle before the close").isBetween(0.8, 6.0);
        }
    }

    @Test
    void connectionsPastThePerAddressLimitGet429AndAreClosed() throws Exception {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("ok")));
        List<Socket> held = new ArrayList<>();
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).yaml("limits: {max-connections-per-client: 3}").start()) {
            for (int i = 0; i < 3; i++) {
                Socket s = connect(edge.port());
                held.add(s);
                s.getOutputStream().write("GET /c HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readHead(s)).as("connection %d of 3", i + 1).startsWith("HTTP/1.1 200");
            }
            try (Socket fourth = connect(edge.port())) {
                fourth.setSoTimeout(3000);
                String answer = new String(fourth.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(answer).startsWith("HTTP/1.1 429").contains("Retry-After: 1").contains("Connection: close");
            }
            assertThat(edge.metric("outpost_connections_refused_total")).isEqualTo(1.0);
            // the three admitted connections still work, and a closed one frees its place
            held.getFirst().getOutputStream().write("GET /c HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readHead(held.getFirst())).startsWith("HTTP/1.1 200");
            held.removeFirst().close();
            Await.until("the node saw the close", Duration.ofSeconds(10),
                    () -> edge.metric("outpost_connections_open", "listener", "client") == 2);
            try (Socket again = connect(edge.port())) {
                again.getOutputStream().write("GET /c HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readHead(again)).startsWith("HTTP/1.1 200");
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aRulesRateLimitAnswers429WithRetryAfterPerClientAddress() {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "max-age=60").withBody("ok")));
        ManualClock clock = TestEdge.wallClock();
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).clock(clock).yaml("""
                rules:
                  - name: api
                    match: {path-prefix: /api/}
                    rate-limit: {requests-per-second: 0.5, burst: 3}
                """).start()) {
            for (int i = 0; i < 3; i++) {
                assertThat(edge.get("/api/x").statusCode()).as("request %d within the burst", i + 1).isEqualTo(200);
            }
            HttpResponse<String> limited = edge.get("/api/x");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("2");
            assertThat(edge.get("/other").statusCode()).as("paths outside the rule are not limited").isEqualTo(200);
            clock.advance(Duration.ofSeconds(2));
            assertThat(edge.get("/api/x").statusCode()).as("one token back after 2 s at 0.5/s").isEqualTo(200);
            assertThat(edge.get("/api/x").statusCode()).isEqualTo(429);
            clock.advance(Duration.ofSeconds(60));
            for (int i = 0; i < 3; i++) {
                assertThat(edge.get("/api/x").statusCode()).as("bucket refilled to its burst, no more").isEqualTo(200);
            }
            assertThat(edge.get("/api/x").statusCode()).isEqualTo(429);
        }
    }

    @Test
    void aRateLimitKeyedOnAHeaderCountsEachValueApart() {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withBody("ok")));
        ManualClock clock = TestEdge.wallClock();
        try (TestEdge edge = TestEdge.withOrigin(origin.baseUrl()).clock(clock).yaml("""
                rules:
                  - name: api
                    match: {path-prefix: /api/}
                    bypass: true
                    rate-limit: {requests-per-second: 1, burst: 2, key: "header:X-Api-Key"}
                """).start()) {
            assertThat(edge.get("/api/a", "X-Api-Key", "alice").statusCode()).isEqualTo(200);
            assertThat(edge.get("/api/a", "X-Api-Key", "alice").statusCode()).isEqualTo(200);
            HttpResponse<String> limited = edge.get("/api/a", "X-Api-Key", "alice");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(edge.get("/api/a", "X-Api-Key", "bob").statusCode()).as("another key has its own bucket").isEqualTo(200);
            assertThat(edge.get("/api/a", "X-Api-Key", "bob").statusCode()).isEqualTo(200);
            assertThat(edge.get("/api/a", "X-Api-Key", "bob").statusCode()).isEqualTo(429);
            clock.advance(Duration.ofSeconds(1));
            assertThat(edge.get("/api/a", "X-Api-Key", "alice").statusCode()).isEqualTo(200);
            origin.verify(5, anyRequestedFor(anyUrl()));
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return s;
    }

    /** Whether the peer closes (or resets) the connection within {@code millis}. */
    private static boolean closedWithin(Socket s, int millis) throws IOException {
        s.setSoTimeout(millis);
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    /** Reads a chunked body up to and including its last chunk (no trailers). */
    private static void skipChunkedBody(InputStream in) throws IOException {
        while (true) {
            StringBuilder size = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    return;
                }
                if (b != '\r') {
                    size.append((char) b);
                }
            }
            int n = Integer.parseInt(size.toString().trim(), 16);
            in.readNBytes(n + 2); // the chunk and its CRLF (for the last chunk: the final CRLF)
            if (n == 0) {
                return;
            }
        }
    }

    /** Reads one response head and its body (Content-Length or chunked). */
    private static String readHead(Socket s) throws IOException {
        s.setSoTimeout(5000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        for (String line : text.split("\r\n")) {
            String l = line.toLowerCase();
            if (l.startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            } else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
                skipChunkedBody(in);
            }
        }
        return text;
    }
}
