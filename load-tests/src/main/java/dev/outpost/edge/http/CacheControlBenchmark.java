package dev.outpost.edge.http;

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
 * Cache-Control parsing, done for every origin response and for requests that carry the
 * field: a typical origin header, a long one with field names and quoted values, and a
 * targeted (RFC 9213) structured-field dictionary.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CacheControlBenchmark {

    private final String typical = "public, max-age=86400";
    private final String complex = "private=\"Set-Cookie, X-User\", no-cache=\"Set-Cookie\", s-maxage=600, max-age=60, "
            + "stale-while-revalidate=30, stale-if-error=86400, must-revalidate";
    private final List<String> targeted = List.of("max-age=3600, stale-while-revalidate=60");

    @Benchmark
    public CacheControl typical() {
        return CacheControl.parse(typical);
    }

    @Benchmark
    public CacheControl complex() {
        return CacheControl.parse(complex);
    }

    @Benchmark
    public CacheControl targeted() {
        return CacheControl.parseTargeted(targeted);
    }
}
