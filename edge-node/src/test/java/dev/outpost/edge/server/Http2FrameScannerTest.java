package dev.outpost.edge.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The HTTP/2 frame follower counts resets against a refilling allowance and CONTINUATION frames per header block. */
class Http2FrameScannerTest {

    private static byte[] frame(int type, int flags, int stream, int length) {
        byte[] f = new byte[9 + length];
        f[0] = (byte) (length >>> 16);
        f[1] = (byte) (length >>> 8);
        f[2] = (byte) length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[8] = (byte) stream;
        return f;
    }

    private static void feed(Http2FrameScanner s, byte[] bytes) {
        s.scan(ByteBuffer.wrap(bytes), 0, bytes.length);
    }

    @Test
    void resetsPastTheBurstTripUnlessTheAllowanceRefilled() {
        AtomicLong now = new AtomicLong();
        Http2FrameScanner s = new Http2FrameScanner(0, 10, now::get);
        for (int i = 0; i < 100; i++) {
            feed(s, frame(0x3, 0, 1, 4));
        }
        assertThat(s.tripped()).isNull();
        now.addAndGet(1000); // ten more
        for (int i = 0; i < 10; i++) {
            feed(s, frame(0x3, 0, 1, 4));
        }
        assertThat(s.tripped()).isNull();
        feed(s, frame(0x3, 0, 1, 4));
        assertThat(s.tripped()).isEqualTo(Http2FrameScanner.Trip.RESETS);
    }

    @Test
    void continuationsAreCountedPerHeaderBlock() {
        Http2FrameScanner s = new Http2FrameScanner(0, 10, () -> 0L);
        ByteArrayOutputStream ok = new ByteArrayOutputStream();
        for (int block = 0; block < 3; block++) {
            ok.writeBytes(frame(0x1, 0, 1, 10));
            for (int i = 0; i < Http2FrameScanner.MAX_CONTINUATIONS - 1; i++) {
                ok.writeBytes(frame(0x9, 0, 1, 0));
            }
            ok.writeBytes(frame(0x9, 0x4, 1, 3));
        }
        feed(s, ok.toByteArray());
        assertThat(s.tripped()).isNull();
        feed(s, frame(0x1, 0, 3, 10));
        for (int i = 0; i <= Http2FrameScanner.MAX_CONTINUATIONS; i++) {
            feed(s, frame(0x9, 0, 3, 0));
        }
        assertThat(s.tripped()).isEqualTo(Http2FrameScanner.Trip.CONTINUATIONS);
    }

    @Test
    void thePrefaceIsSkippedAndPayloadsAreNotReadAsFrames() {
        Http2FrameScanner s = new Http2FrameScanner(6, 0.1, () -> 0L);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("SM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        byte[] data = frame(0x0, 0, 1, 27);
        for (int i = 0; i < 3; i++) { // a DATA payload holding what looks like RST_STREAM frames
            data[9 + 9 * i + 3] = 0x3;
        }
        b.writeBytes(data);
        feed(s, b.toByteArray());
        assertThat(s.tripped()).isNull();
        feed(s, frame(0x3, 0, 1, 4));
        assertThat(s.tripped()).as("burst of one").isNull();
        feed(s, frame(0x3, 0, 1, 4));
        assertThat(s.tripped()).isEqualTo(Http2FrameScanner.Trip.RESETS);
    }
}
