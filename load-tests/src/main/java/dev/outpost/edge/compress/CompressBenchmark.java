package dev.outpost.edge.compress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a compressed miss costs the encoder, per 64 KiB of HTML-like text, for each encoding at
 * the rule's default level (gzip 6, br 4, zstd 3). The per-request side is
 * {@link AcceptEncodingKeyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CompressBenchmark {

    @Param({"gzip", "br", "zstd"})
    public String encoding;

    private byte[] text;
    private final int[] sink = new int[1];

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(18);
        StringBuilder sb = new StringBuilder();
        String[] words = new String[500];
        for (int i = 0; i < words.length; i++) {
            words[i] = Integer.toString(r.nextInt(1 << 30), 36);
        }
        while (sb.length() < 64 * 1024) {
            sb.append(r.nextInt(12) == 0 ? "<p class=\"note\">" : "").append(words[(int) Math.sqrt(r.nextInt(250_000))]).append(' ');
        }
        text = sb.substring(0, 64 * 1024).getBytes(StandardCharsets.US_ASCII);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long encode() throws IOException {
        EncodingStream s = new EncodingStream(encoding, dev.outpost.config.Compress.defaultLevel(encoding),
                (b, off, len) -> sink[0] += len);
        for (int off = 0; off < text.length; off += 16 * 1024) {
            s.write(text, off, 16 * 1024);
        }
        s.finish();
        return s.bytesOut();
    }
}
