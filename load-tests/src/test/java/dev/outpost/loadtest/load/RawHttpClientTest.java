package dev.outpost.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RawHttpClientTest {

    /** A one-connection server that answers each request with the next canned response. */
    static Thread serve(ServerSocket ss, String... responses) {
        Thread t = Thread.ofVirtual().start(() -> {
            try (Socket s = ss.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (String r : responses) {
                    StringBuilder req = new StringBuilder();
                    while (!req.toString().endsWith("\r\n\r\n")) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        req.append((char) c);
                    }
                    out.write(r.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (Exception e) {
                // test ends
            }
        });
        return t;
    }

    @Test
    void readsContentLengthChunkedAnd304OnOneConnection() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            serve(ss,
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Status: edge; hit\r\n\r\nhello",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Cache: MISS\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nT: 1\r\n\r\n",
                    "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
            try (RawHttpClient c = new RawHttpClient("127.0.0.1", ss.getLocalPort(), 5000)) {
                RawHttpClient.Response a = c.get("/a");
                assertThat(a).isEqualTo(new RawHttpClient.Response(200, 5, "edge; hit"));
                RawHttpClient.Response b = c.get("/b");
                assertThat(b).isEqualTo(new RawHttpClient.Response(200, 7, "MISS"));
                assertThat(c.get("/c").status()).isEqualTo(304);
            }
        }
    }
}
