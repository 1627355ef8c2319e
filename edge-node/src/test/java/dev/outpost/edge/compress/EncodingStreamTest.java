package dev.outpost.edge.compress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Encoding chunk by chunk: output reaches the sink while input still comes, decodes to the input, and is counted. */
class EncodingStreamTest {

    private static byte[] text(int size) {
        StringBuilder sb = new StringBuilder();
        Random r = new Random(18);
        String[] words = {"edge", "cache", "origin", "vary", "encoding", "stale", "purge", "shield", "range", "etag"};
        while (sb.length() < size) {
            sb.append(words[r.nextInt(words.length)]).append(r.nextInt(10) == 0 ? ".\n" : " ");
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "br", "zstd"})
    void decodesToTheInputAndStreams(String encoding) throws Exception {
        assertThat(Encoders.available(encoding)).as(encoding + " available on this platform").isTrue();
        byte[] body = text(2 * 1024 * 1024);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> writes = new ArrayList<>();
        EncodingStream s = new EncodingStream(encoding, 6, (b, off, len) -> {
            writes.add(len);
            out.write(b, off, len);
        });
        int emittedBeforeEnd = 0;
        for (int off = 0; off < body.length; off += 16 * 1024) {
            s.write(body, off, Math.min(16 * 1024, body.length - off));
            emittedBeforeEnd = writes.size();
        }
        s.finish();
        s.finish(); // a second finish does nothing
        assertThat(emittedBeforeEnd).as("output reaches the sink before the body ends").isGreaterThan(1);
        assertThat(writes).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(256 * 1024));
        assertThat(Decoded.decode(encoding, out.toByteArray())).isEqualTo(body);
        assertThat(s.bytesIn()).isEqualTo(body.length);
        assertThat(s.bytesOut()).isEqualTo(out.size()).isLessThan(body.length / 2);
        assertThat(s.nanos()).isPositive();
    }

    @Test
    void levelsChangeTheOutput() throws Exception {
        byte[] body = text(256 * 1024);
        long fast = encodedSize("gzip", 1, body);
        long best = encodedSize("gzip", 9, body);
        assertThat(best).isLessThan(fast);
        assertThat(encodedSize("br", 11, body)).isLessThan(encodedSize("br", 1, body));
    }

    private static long encodedSize(String encoding, int level, byte[] body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EncodingStream s = new EncodingStream(encoding, level, out::write);
        s.write(body, 0, body.length);
        s.finish();
        return out.size();
    }

    @Test
    void aFailedSinkIsLetGo() throws Exception {
        EncodingStream s = new EncodingStream("zstd", 3, (b, off, len) -> {
            throw new java.io.IOException("disk gone");
        });
        byte[] body = text(4 * 1024 * 1024);
        try {
            s.write(body, 0, body.length);
            s.finish();
        } catch (java.io.IOException expected) {
            s.abort();
        }
        s.abort(); // idempotent, never throws
    }
}
