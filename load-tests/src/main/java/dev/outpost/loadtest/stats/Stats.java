package dev.outpost.loadtest.stats;

import java.util.Arrays;
import java.util.Collection;
import java.util.OptionalDouble;

/**
 * The arithmetic of the report, in one place so it is tested once: medians of rounds,
 * percentiles of latency samples (nearest-rank), and ratios against a peer.
 */
public final class Stats {

    private Stats() {
    }

    /** Median of the values (mean of the two middle ones for an even count); empty when there are none. */
    public static OptionalDouble median(Collection<Double> values) {
        double[] v = values.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return OptionalDouble.empty();
        }
        int mid = v.length / 2;
        return OptionalDouble.of(v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0);
    }

    /**
     * Nearest-rank percentile ({@code p} in 0..100] of unsorted samples: the smallest sample such
     * that at least p% of the samples are at or below it. Sorts a copy.
     */
    public static double percentile(double[] samples, double p) {
        if (samples.length == 0) {
            return Double.NaN;
        }
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, rank - 1)];
    }

    /** Same as {@link #percentile(double[], double)} on an already sorted array, without copying. */
    public static double percentileSorted(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    /** {@code ours / theirs}; empty when either is missing or theirs is 0. */
    public static OptionalDouble ratio(OptionalDouble ours, OptionalDouble theirs) {
        if (ours.isEmpty() || theirs.isEmpty() || theirs.getAsDouble() == 0.0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(ours.getAsDouble() / theirs.getAsDouble());
    }
}
