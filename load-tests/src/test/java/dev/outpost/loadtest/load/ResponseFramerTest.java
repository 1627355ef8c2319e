package dev.outpost.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseFramerTest {

    /** Feeds {@code response} one byte at a time: framing must not depend on how reads split it. */
    private static ResponseFramer byteByByte(String response) throws IOException {
        ResponseFramer f = new ResponseFramer();
        byte[] b = response.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < b.length; i++) {
            boolean whole = f.feed(ByteBuffer.wrap(b, i, 1));
            assertThat(whole).as("whole after byte %d of %d", i + 1, b.length).isEqualTo(i == b.length - 1);
        }
        return f;
    }

    @Test
    void contentLengthBodyEndsAtItsLength() throws IOException {
        ResponseFramer f = byteByByte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello");
        assertThat(f.status()).isEqualTo(200);
        assertThat(f.bodyBytes()).isEqualTo(5);
    }

    @Test
    void chunkedBodyEndsAfterTheLastChunkAndTrailers() throws IOException {
        ResponseFramer f = byteByByte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n");
        assertThat(f.bodyBytes()).isEqualTo(19);
    }

    @Test
    void interimResponsesAreSkippedAndBodilessStatusesEndAtTheHead() throws IOException {
        ResponseFramer f = byteByByte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
        assertThat(f.status()).isEqualTo(304);
        assertThat(f.bodyBytes()).isZero();
    }

    @Test
    void bytesAfterTheResponseAreLeftUnread() throws IOException {
        ResponseFramer f = new ResponseFramer();
        ByteBuffer b = ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(f.feed(b)).isTrue();
        assertThat(b.remaining()).isEqualTo(5);
    }

    @Test
    void aResponseWithoutLengthIsRefused() {
        assertThatThrownBy(() -> byteByByte("HTTP/1.1 200 OK\r\nX: y\r\n\r\n"))
                .isInstanceOf(IOException.class).hasMessageContaining("without Content-Length");
        assertThatThrownBy(() -> byteByByte("SSH-2.0-OpenSSH\r\n")).isInstanceOf(IOException.class);
    }
}
