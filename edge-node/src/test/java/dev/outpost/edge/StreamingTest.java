package dev.outpost.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large objects stream through a node whose heap is far smaller than them, while being stored;
 * a slow client neither holds back the fill nor makes the node buffer the object.
 */
class StreamingTest {

    private static final long SIZE = 256L * 1024 * 1024;

    @TempDir
    Path tmp;

    @Test
    void objectFourTimesTheHeapStreamsColdAndWarm() throws Exception {
        try (BlobOrigin origin = new BlobOrigin();
             EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), Files.createDirectories(tmp.resolve("data")),
                     List.of("-Xmx64m", "-XX:MaxDirectMemorySize=64m"), "--cache.memory-size", "16MiB")) {
            edge.start();
            long expected = BlobOrigin.crcOf(SIZE, 11);
            EdgeProcess.Checked cold = edge.get("/blob/" + SIZE + "/11");
            assertThat(cold.length()).isEqualTo(SIZE);
            assertThat(cold.crc()).isEqualTo(expected);
            assertThat(cold.cacheStatus()).contains("fwd=miss").contains("stored");
            EdgeProcess.Checked warm = edge.get("/blob/" + SIZE + "/11");
            assertThat(warm.length()).isEqualTo(SIZE);
            assertThat(warm.crc()).isEqualTo(expected);
            assertThat(warm.cacheStatus()).startsWith("edge-child; hit");
            assertThat(origin.requests("/blob/" + SIZE + "/11")).isEqualTo(1);
            assertThat(edge.isAlive()).isTrue();
            assertThat(edge.logText()).doesNotContain("OutOfMemoryError");
        }
    }

    @Test
    void slowClientDoesNotStallTheFill() throws Exception {
        try (BlobOrigin origin = new BlobOrigin();
             EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), Files.createDirectories(tmp.resolve("data")),
                     List.of("-Xmx64m", "-XX:MaxDirectMemorySize=64m"))) {
            edge.start();
            String path = "/blob/" + SIZE + "/12";
            try (Socket s = new Socket()) {
                s.setReceiveBufferSize(64 * 1024);
                s.connect(new InetSocketAddress("127.0.0.1", edge.port));
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + edge.port + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] head = readHead(in);
                assertThat(new String(head, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
                CRC32 crc = new CRC32();
                byte[] buf = new byte[64 * 1024];
                long read = 0;
                while (read < 1024 * 1024) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, 1024 * 1024 - read));
                    crc.update(buf, 0, n);
                    read += n;
                }
                // the client now reads nothing: the origin must still be able to send everything
                Await.until("origin sent the whole object while the client stalled", Duration.ofSeconds(120),
                        () -> origin.bytesSent() >= SIZE);
                assertThat(edge.isAlive()).isTrue();
                int n;
                while (read < SIZE && (n = in.read(buf, 0, (int) Math.min(buf.length, SIZE - read))) != -1) {
                    crc.update(buf, 0, n);
                    read += n;
                }
                assertThat(read).isEqualTo(SIZE);
                assertThat(crc.getValue()).isEqualTo(BlobOrigin.crcOf(SIZE, 12));
            }
            assertThat(edge.logText()).doesNotContain("OutOfMemoryError");
        }
    }

    private static byte[] readHead(InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            out.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return out.toByteArray();
    }
}
