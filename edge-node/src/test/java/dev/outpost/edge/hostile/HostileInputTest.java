package dev.outpost.edge.hostile;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.EdgeExtension;
import dev.outpost.edge.TestEdge;
import dev.outpost.testing.OriginExtension;
import dev.outpost.testing.RawHttp;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and ambiguous requests over raw sockets: each is refused with the right status
 * and its connection closed, and none reaches the origin.
 */
class HostileInputTest {

    @RegisterExtension
    static final OriginExtension origin = new OriginExtension();

    @RegisterExtension
    static final EdgeExtension edge = new EdgeExtension(() -> TestEdge.withOrigin("http://127.0.0.1:9"));

    static Stream<Arguments> requests() {
        String crlf = "\r\n";
        return Stream.of(
                Arguments.of("Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("duplicate Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", 400),
                Arguments.of("conflicting Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400),
                Arguments.of("Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 5\r\n\r\nabcde", 400),
                Arguments.of("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd", 400),
                Arguments.of("Transfer-Encoding other than chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 400),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
                Arguments.of("bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400),
                Arguments.of("NUL in a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400),
                Arguments.of("control byte in a header", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n", 400),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400),
                Arguments.of("absolute-form target", "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                Arguments.of("asterisk-form target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                Arguments.of("no Host", "GET / HTTP/1.1\r\n\r\n", 400),
                Arguments.of("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                Arguments.of("invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
                Arguments.of("GET with a body", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 400),
                Arguments.of("invalid method", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                Arguments.of("unknown HTTP version", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400),
                Arguments.of("invalid percent-encoding", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                Arguments.of("request line too long", "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                Arguments.of("header too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000) + crlf + crlf, 431),
                Arguments.of("too many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + manyHeaders(150) + crlf, 431),
                Arguments.of("body too large", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\nabc", 413),
                Arguments.of("TRACE", "TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", 405));
    }

    private static String manyHeaders(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("X-H").append(i).append(": v\r\n");
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void refusedAndClosed(String name, String request, int status) {
        origin.resetRequests();
        RawHttp.Exchange r = RawHttp.send(edge.port(), request, 3000);
        assertThat(r.status()).as(r.response()).isEqualTo(status);
        if (status != 405) {
            assertThat(r.closed()).as("connection closed after %s", name).isTrue();
        }
        origin.verify(0, anyRequestedFor(anyUrl()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedChunks")
    void malformedChunkedBodiesNeverReachTheOriginWhole(String name, String request) {
        origin.stubFor(any(anyUrl()).willReturn(aResponse().withBody("ok")));
        origin.resetRequests();
        try (TestEdge withOrigin = TestEdge.withOrigin(origin.baseUrl()).start()) {
            RawHttp.Exchange r = RawHttp.send(withOrigin.port(), request, 3000);
            assertThat(r.status()).as(r.response()).isIn(-1, 400, 502);
            assertThat(r.closed()).isTrue();
            origin.findAll(anyRequestedFor(anyUrl())).forEach(req ->
                    assertThat(req.getBodyAsString()).as("a body cut short is never delivered as if whole").isNotEqualTo("abc"));
        }
    }

    static Stream<Arguments> malformedChunks() {
        return Stream.of(
                Arguments.of("invalid chunk size", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
                Arguments.of("chunk size overflow", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
                Arguments.of("missing chunk terminator", "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n"));
    }
}
