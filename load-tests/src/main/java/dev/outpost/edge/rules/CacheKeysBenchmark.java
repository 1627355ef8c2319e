package dev.outpost.edge.rules;

import dev.outpost.config.CacheKeyPolicy;
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
 * Cache-key building on the request path: every request builds its URL key before the cache
 * lookup. The plain case (no query), a query kept whole and sorted, and an allowlist.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CacheKeysBenchmark {

    private final CacheKeyPolicy allowlist = new CacheKeyPolicy(CacheKeyPolicy.QueryMode.ALLOW, List.of("v", "w"), List.of(), false);

    @Benchmark
    public String plainPath() {
        return CacheKeys.urlKey("cdn.example.com", "/static/app/main.4f3c2a.js", null, CacheKeyPolicy.DEFAULT);
    }

    @Benchmark
    public String querySorted() {
        return CacheKeys.urlKey("cdn.example.com", "/img/photo.jpg", "w=640&v=3&q=80&fmt=webp", CacheKeyPolicy.DEFAULT);
    }

    @Benchmark
    public String queryAllowlist() {
        return CacheKeys.urlKey("cdn.example.com", "/img/photo.jpg", "w=640&v=3&q=80&fmt=webp&utm_source=x", allowlist);
    }
}
