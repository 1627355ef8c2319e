package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A request carrying {@code Upgrade} (or a CONNECT) must not switch off the request-head
 * guard for the rest of its connection: a folded header in a later request on the same
 * connection is refused exactly as on a fresh one, and never reaches the origin. Only an
 * origin's 101 turns a connection into a tunnel: an upgrade the node refuses (an unknown
 * token: 501), ignores ({@code h2c}) or the origin declines (a WebSocket handshake answered
 * 200) leaves it plain HTTP, its request heads checked.
 */
class UpgradeGuardTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin(origin.baseUrl()));

    @BeforeEach
    void stub() {
        origin.resetAll();
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withHeader("Cache-Control", "no-store").withBody("ok")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "GET /first HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n",
        "GET /first HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        "GET /first HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"})
    void aFoldedHeaderAfterAnUpgradeRequestIsStillRefused(String first) throws IOException {
        String folded = "GET /smuggled HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n";
        try (Socket s = new Socket("127.0.0.1", edge.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(first.getBytes(StandardCharsets.ISO_8859_1));
            String head = readResponse(in);
            assertThat(head).as("the first request is answered as plain HTTP, never switched")
                    .matches("(?s)HTTP/1.1 (200|501) .*");
            out.write(folded.getBytes(StandardCharsets.ISO_8859_1));
            String second = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(second).as("the folded request is refused as on a fresh connection, and the connection closed")
                    .startsWith("HTTP/1.1 400");
        }
        origin.verify(0, getRequestedFor(urlEqualTo("/smuggled")));
        for (LoggedRequest req : origin.findAll(anyRequestedFor(anyUrl()))) {
            String upgrade = req.containsHeader("Upgrade") ? req.getHeader("Upgrade") : "";
            assertThat(upgrade).as("only a WebSocket handshake goes upstream with its token").isIn("", "websocket");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"foo", "h2c"})
    void anUpgradeNoRuleAllowsNeverReachesTheOriginWithItsToken(String protocol) {
        RawHttp.Exchange r = RawHttp.send(edge.port(), "GET /u HTTP/1.1\r\nHost: x\r\nUpgrade: " + protocol
                + "\r\nConnection: keep-alive, Upgrade\r\n\r\n", 1500);
        assertThat(r.response()).doesNotContainIgnoringCase("upgrade:");
        if (protocol.equals("foo")) {
            assertThat(r.status()).as(r.response()).isEqualTo(501);
            origin.verify(0, getRequestedFor(urlEqualTo("/u")));
            return;
        }
        assertThat(r.status()).as("h2c without HTTP2-Settings is ignored: " + r.response()).isEqualTo(200);
        LoggedRequest req = origin.findAll(getRequestedFor(urlEqualTo("/u"))).getFirst();
        assertThat(req.containsHeader("Upgrade")).isFalse();
        assertThat(req.getHeader("Connection")).doesNotContainIgnoringCase("upgrade");
    }

    /** Reads one response (Content-Length or chunked body); returns its head and body. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        if (head.toString().toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
            while (!head.toString().endsWith("\r\n0\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            return head.toString();
        }
        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }
}
