package dev.outpost.edge.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The guard follows framing across pipelined requests and refuses only folded or non-HTTP/1 heads. */
class HeadFramingScannerTest {

    /** Feeds {@code text} in pieces of random sizes; returns the bytes as Undertow would see them. */
    private static String feed(String text, long seed) {
        HeadFramingScanner guard = new HeadFramingScanner();
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        Random r = new Random(seed);
        int pos = 0;
        while (pos < bytes.length) {
            int n = Math.min(bytes.length - pos, 1 + r.nextInt(7));
            ByteBuffer buf = ByteBuffer.wrap(bytes, 0, bytes.length);
            guard.scan(buf, pos, pos + n);
            pos += n;
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static void untouched(String text) {
        for (long seed = 0; seed < 20; seed++) {
            assertThat(feed(text, seed)).isEqualTo(text);
        }
    }

    private static void poisoned(String text) {
        for (long seed = 0; seed < 20; seed++) {
            assertThat(feed(text, seed)).contains("\0");
        }
    }

    @Test
    void leavesValidPipelinesAlone() {
        untouched("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        untouched("\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        untouched("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nab\r\n cd\r\n\tef"
                + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        untouched("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nx\r\n y\r\n0\r\nTrailer: t\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
        untouched("GET /a HTTP/1.0\r\nHost: x\r\n\r\n");
    }

    @Test
    void refusesFoldedHeadersInEveryRequestOfAPipeline() {
        poisoned("GET /a HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
        poisoned("GET /a HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n");
        poisoned("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\nX: 1\r\n 2\r\n\r\n");
        poisoned("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\nX: 1\r\n 2\r\n\r\n");
    }

    @Test
    void refusesOtherVersions() {
        poisoned("GET / HTTP/9.9\r\nHost: x\r\n\r\n");
        poisoned("GET / HTTP/2.0\r\nHost: x\r\n\r\n");
        poisoned("GET /\r\n\r\n");
    }

    @Test
    void brokenChunkFramingIsNoticed() {
        HeadFramingScanner s = new HeadFramingScanner();
        byte[] b = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        s.scan(ByteBuffer.wrap(b), 0, b.length);
        assertThat(s.broken()).isTrue();
        HeadFramingScanner ok = new HeadFramingScanner();
        byte[] good = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        ok.scan(ByteBuffer.wrap(good), 0, good.length);
        assertThat(ok.broken()).isFalse();
        assertThat(ok.following()).isTrue();
    }

    @Test
    void stepsAsideForHttp2() {
        untouched("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0 \r\n ");
        // after 101 to h2c the client must begin with the preface
        untouched("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
                + "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0 \r\n ");
    }

    @Test
    void upgradeAndConnectDoNotTurnTheGuardOff() {
        poisoned("GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
        poisoned("GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
        poisoned("GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
        poisoned("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
    }
}
