package dev.outpost.edge.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the HTTP/2 frame follower of the request guard with arbitrary frame sequences fed in
 * arbitrary pieces: nothing throws, no byte is changed, and it trips exactly when a plain
 * reference model reading the whole sequence at once does (a reset past the burst, or more
 * than {@link Http2FrameScanner#MAX_CONTINUATIONS} CONTINUATION frames in one header block).
 * The short run is part of {@code HttpParsersFuzzTest}.
 */
public class Http2FramesFuzzTest {

    @Tag("long-fuzz")
    @FuzzTest(maxDuration = "15m")
    void longFuzz(FuzzedDataProvider data) {
        check(data);
    }

    /** One input: a reset allowance, a piece-size seed and frames (built from the fuzzer's bytes). */
    public static void check(FuzzedDataProvider data) {
        double resetsPerSecond = data.consumeInt(1, 20) / 10.0; // a burst of 1 to 20 resets
        long splitSeed = data.consumeLong();
        byte[] frames = frames(data);
        byte[] original = frames.clone();

        Http2FrameScanner whole = new Http2FrameScanner(0, resetsPerSecond, () -> 0L);
        whole.scan(ByteBuffer.wrap(frames), 0, frames.length);

        Http2FrameScanner pieces = new Http2FrameScanner(0, resetsPerSecond, () -> 0L);
        java.util.Random r = new java.util.Random(splitSeed);
        int at = 0;
        while (at < frames.length && pieces.tripped() == null) {
            int n = Math.min(frames.length - at, 1 + r.nextInt(32));
            pieces.scan(ByteBuffer.wrap(frames), at, at + n);
            at += n;
        }
        assertThat(frames).isEqualTo(original);
        assertThat(pieces.tripped()).isEqualTo(whole.tripped());
        assertThat(whole.tripped()).isEqualTo(reference(frames, Math.max(1, resetsPerSecond * 10)));
    }

    /** Mostly well-formed frames (small payloads, the interesting types), sometimes raw bytes. */
    private static byte[] frames(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            return data.consumeRemainingAsBytes();
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int count = data.consumeInt(0, 400);
        int[] types = {0x0, 0x1, 0x3, 0x4, 0x5, 0x8, 0x9, 0x9, 0x9};
        for (int i = 0; i < count && data.remainingBytes() > 0; i++) {
            int type = data.pickValue(types);
            int flags = data.consumeInt(0, 255);
            byte[] payload = data.consumeBytes(data.consumeInt(0, 24));
            out.write(payload.length >>> 16);
            out.write(payload.length >>> 8);
            out.write(payload.length);
            out.write(type);
            out.write(flags);
            out.writeBytes(new byte[] {0, 0, 0, (byte) (1 + 2 * data.consumeInt(0, 10))});
            out.writeBytes(payload);
        }
        return out.toByteArray();
    }

    /** The same rules, read from the whole sequence at once with a clock that stands still. */
    private static Http2FrameScanner.Trip reference(byte[] b, double burst) {
        int at = 0;
        int resets = 0;
        boolean inBlock = false;
        int continuations = 0;
        while (at + 9 <= b.length) {
            int length = ((b[at] & 0xff) << 16) | ((b[at + 1] & 0xff) << 8) | (b[at + 2] & 0xff);
            int type = b[at + 3] & 0xff;
            int flags = b[at + 4] & 0xff;
            if (type == 0x1 || type == 0x5) {
                inBlock = (flags & 0x4) == 0;
                continuations = 0;
            } else if (type == 0x9) {
                if (inBlock && ++continuations > Http2FrameScanner.MAX_CONTINUATIONS) {
                    return Http2FrameScanner.Trip.CONTINUATIONS;
                }
                if ((flags & 0x4) != 0) {
                    inBlock = false;
                }
            } else if (type == 0x3 && ++resets > Math.floor(burst)) {
                return Http2FrameScanner.Trip.RESETS;
            }
            at += 9 + length;
        }
        return null;
    }
}
