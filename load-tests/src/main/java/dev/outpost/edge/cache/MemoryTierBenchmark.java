package dev.outpost.edge.cache;

import dev.outpost.loadtest.zipf.ZipfTrace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Memory-tier lookups as a hit sees them: keys drawn from the suite's Zipf trace (s = 0.9) over
 * 10,000 objects of 1 KiB, in a tier big enough to hold them all (every lookup hits) or a
 * tenth of them (most lookups of the tail miss). One thread and two, since I/O threads look up
 * concurrently.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MemoryTierBenchmark {

    static final int OBJECTS = 10_000;
    static final int SIZE = 1024;

    @Param({"100", "10"})
    int capacityPercent;

    MemoryTier tier;
    String[] keys;

    @Setup(Level.Trial)
    public void setUp() {
        long perEntry = entry("cdn.example.com/obj/0").weight() + SIZE;
        tier = new MemoryTier(OBJECTS * perEntry * capacityPercent / 100 + perEntry, 4L << 20, new SimpleMeterRegistry(), Runnable::run);
        ByteBuffer body = ByteBuffer.allocateDirect(SIZE);
        int[] trace = new ZipfTrace(OBJECTS, 0.9).generate(42, 1 << 16);
        keys = new String[trace.length];
        for (int i = 0; i < trace.length; i++) {
            keys[i] = "cdn.example.com/obj/" + trace[i];
        }
        for (String k : keys) {
            if (tier.get(k) == null) {
                tier.put(entry(k), body);
            }
        }
        tier.cleanUp();
    }

    static CachedResponse entry(String key) {
        return new CachedResponse(key, 200, new String[] {"content-type", "etag", "cache-control"},
                new String[] {"application/octet-stream", "\"1024-x\"", "public, max-age=86400"},
                0, 0, 0, 86_400_000, 0, 0, 0, SIZE, 1, 256 * 1024, List.of(), List.of(), 0);
    }

    @State(Scope.Thread)
    public static class Cursor {
        int i;
    }

    @Benchmark
    @Threads(1)
    public Object lookupOneThread(Cursor c) {
        return tier.get(keys[c.i++ & (keys.length - 1)]);
    }

    @Benchmark
    @Threads(2)
    public Object lookupTwoThreads(Cursor c) {
        return tier.get(keys[c.i++ & (keys.length - 1)]);
    }
}
