package dev.outpost.loadtest.scenario;

import java.time.Duration;
import java.util.List;

/**
 * How hard a run works. {@link #full()} is the reference run (median of three rounds; about 17
 * minutes on two cores, 13 of them issue 7's scenarios); {@link #quick()} is a smoke run of
 * about three minutes, one round, smaller objects and shorter loads, whose figures are not
 * comparable with a full run's.
 */
public record BenchOptions(String mode, int rounds, Duration hotDuration, boolean hotWarmup, long largeObjectBytes,
                           int herdClients, long herdDelayMillis, int zipfObjects, int zipfRequests, double zipfExponent,
                           long zipfSeed, int zipfObjectSize, double zipfCapacity, List<Double> curve, int curveRounds,
                           int revalidationObjects, int revalidationObjectSize, double scale) {

    public static BenchOptions full() {
        return new BenchOptions("full", 3, Duration.ofSeconds(4), true, 1L << 30, 200, 1000,
                10_000, 100_000, 0.9, 42, 4096, 0.10, List.of(0.02, 0.10, 0.20, 0.50), 1, 100, 64 * 1024, 1.0);
    }

    public static BenchOptions quick() {
        return new BenchOptions("quick", 1, Duration.ofSeconds(2), true, 256L << 20, 200, 1000,
                10_000, 30_000, 0.9, 42, 4096, 0.10, List.of(0.02, 0.10, 0.50), 1, 50, 64 * 1024, 0.3);
    }

    /** Whether this is a {@link #quick()} run. */
    public boolean isQuick() {
        return mode.equals("quick");
    }

    /** A scenario's time bound: its nominal budget scaled to the mode. */
    public Duration budget(Duration nominal) {
        return Duration.ofMillis((long) (nominal.toMillis() * Math.max(scale, 0.3)));
    }
}
