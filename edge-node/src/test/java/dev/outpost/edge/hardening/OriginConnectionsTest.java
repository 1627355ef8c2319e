package dev.outpost.edge.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.TestEdge;
import dev.outpost.testing.Await;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Origin keep-alive connections, against a raw-socket origin: bytes after the end of a
 * response never reach another request (the connection is closed, not reused), idle
 * connections are closed by the node before the origin closes them, and a request whose
 * pooled connection the origin had closed anyway is sent again on a new one, whatever its
 * method, exactly once.
 */
class OriginConnectionsTest {

    private static final String SMUGGLED = "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\nContent-Length: 6\r\n\r\nSECRET";
    private static final String GARBAGE = "LEFTOVER-BYTES-OF-ANOTHER-RESPONSE\r\n";

    /** Answers 200 with the method and target as body; {@code /long/...} adds {@code extra} after the body. */
    private static ScriptedOrigin origin(String extra) {
        return new ScriptedOrigin((req, out) -> {
            answer(out, req.method() + " " + req.target());
            if (req.target().startsWith("/long")) {
                out.write(extra.getBytes(StandardCharsets.ISO_8859_1));
            }
            return true;
        });
    }

    private static void answer(OutputStream out, String text) throws java.io.IOException {
        byte[] body = text.getBytes(StandardCharsets.ISO_8859_1);
        out.write(("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
    }

    private static TestEdge edge(ScriptedOrigin origin, String... yaml) {
        return new TestEdge.Builder().yaml("origins:\n  - name: default\n    servers: [{url: \"" + origin.baseUrl() + "\"}]\n"
                + String.join("\n", yaml)).start();
    }

    @Test
    void bytesAfterTheEndOfAResponseNeverReachTheNextRequest() {
        for (String extra : new String[] {SMUGGLED, GARBAGE}) {
            try (ScriptedOrigin origin = origin(extra); TestEdge edge = edge(origin)) {
                for (int i = 0; i < 5; i++) {
                    Wire.Response longer = Wire.get(edge.port(), "GET", "/long/" + i, "example.com");
                    assertThat(longer.status()).isEqualTo(200);
                    assertThat(longer.bodyText()).isEqualTo("GET /long/" + i);
                    Wire.Response next = Wire.get(edge.port(), "GET", "/next/" + i, "example.com");
                    assertThat(next.status()).as("the request after a response with bytes to spare").isEqualTo(200);
                    assertThat(next.bodyText()).isEqualTo("GET /next/" + i);
                    assertThat(next.raw()).doesNotContain("SECRET").doesNotContain("LEFTOVER");
                }
                assertThat(edge.metric("outpost_origin_connections_closed_total", "reason", "framing")).isEqualTo(5.0);
                assertThat(origin.connectionsAccepted()).as("one connection per response that overran").isEqualTo(6);
            }
        }
    }

    @Test
    void idleConnectionsAreClosedBeforeTheOriginClosesThem() {
        // the origin closes idle keep-alive connections after 3 s; the node's default is 2 s
        try (ScriptedOrigin origin = origin("").closeIdleAfter(Duration.ofSeconds(3)); TestEdge edge = edge(origin)) {
            for (int round = 0; round < 3; round++) {
                for (String method : new String[] {"POST", "PUT"}) {
                    HttpResponse<String> r = edge.send(method, "/b/" + round, "body-" + round);
                    assertThat(r.statusCode()).as("%s in round %d", method, round).isEqualTo(200);
                    assertThat(r.body()).isEqualTo(method + " /b/" + round);
                }
                Await.until("the idle origin connection closed", Duration.ofSeconds(20), () -> origin.openConnections() == 0);
            }
            assertThat(origin.requests()).hasSize(6);
        }
    }

    @Test
    void aBodyForAConnectionTheOriginHadClosedIsSentAgainOnANewOneExactlyOnce() {
        // the node keeps idle connections for a minute, the origin for 200 ms: every request
        // after the first meets a pooled connection the origin has closed
        try (ScriptedOrigin origin = origin("").closeIdleAfter(Duration.ofMillis(200));
             TestEdge edge = edge(origin, "origin-idle-timeout: 1m")) {
            for (int i = 0; i < 5; i++) {
                String method = i % 2 == 0 ? "POST" : "PUT";
                HttpResponse<String> r = edge.send(method, "/s/" + i, "payload-" + i);
                assertThat(r.statusCode()).as("%s %d", method, i).isEqualTo(200);
                assertThat(r.body()).isEqualTo(method + " /s/" + i);
                Await.until("the origin closed the idle connection", Duration.ofSeconds(20), () -> origin.openConnections() == 0);
            }
            assertThat(origin.requests()).as("each request reached the origin once").hasSize(5);
            assertThat(origin.connectionsAccepted()).isEqualTo(5);
        }
    }

    /** Issue 14's figure: 25 rounds of PUT and POST, each after the origin's 5 s keep-alive (Node's default) ran out. */
    @Test
    @Tag("long")
    void longRunAgainstAnOriginClosingIdleConnectionsAfterFiveSeconds() {
        try (ScriptedOrigin origin = origin("").closeIdleAfter(Duration.ofSeconds(5)); TestEdge edge = edge(origin)) {
            int failed = 0;
            for (int round = 0; round < 25; round++) {
                for (String method : new String[] {"POST", "PUT"}) {
                    failed += edge.send(method, "/l/" + round, "body").statusCode() == 200 ? 0 : 1;
                }
                Await.until("idle connections closed", Duration.ofSeconds(30), () -> origin.openConnections() == 0);
            }
            assertThat(failed).isZero();
            assertThat(origin.requests()).hasSize(50);
        }
    }
}
