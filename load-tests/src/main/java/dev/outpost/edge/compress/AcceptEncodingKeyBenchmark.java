package dev.outpost.edge.compress;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Every request under a rule that compresses folds its Accept-Encoding to one encoding before
 * the cache lookup, hits on the I/O thread included: a browser's header, and one with q-values.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AcceptEncodingKeyBenchmark {

    private static final List<String> RULE = List.of("br", "zstd", "gzip");
    private static final List<String> BROWSER = List.of("gzip, deflate, br, zstd");
    private static final List<String> WEIGHTED = List.of("br;q=0.5, gzip;q=0.9, zstd;q=0.8, *;q=0.1");

    @Benchmark
    public String browser() {
        return AcceptEncodingKey.choose(BROWSER, RULE);
    }

    @Benchmark
    public String weighted() {
        return AcceptEncodingKey.choose(WEIGHTED, RULE);
    }
}
