package dev.outpost.loadtest.zipf;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded Zipf request stream: object {@code k} (1-based rank) is requested with probability
 * proportional to {@code 1 / k^s}. The same seed gives the same trace in every system and in
 * the simulator, so hit ratios are compared on exactly the same requests. Sampling inverts the
 * cumulative distribution by binary search, exact for any {@code s >= 0}.
 */
public final class ZipfTrace {

    private final int objects;
    private final double exponent;
    private final double[] cumulative;

    public ZipfTrace(int objects, double exponent) {
        if (objects < 1) {
            throw new IllegalArgumentException("objects must be at least 1: " + objects);
        }
        if (exponent < 0 || Double.isNaN(exponent)) {
            throw new IllegalArgumentException("exponent must be >= 0: " + exponent);
        }
        this.objects = objects;
        this.exponent = exponent;
        this.cumulative = new double[objects];
        double sum = 0;
        for (int k = 1; k <= objects; k++) {
            sum += 1.0 / Math.pow(k, exponent);
            cumulative[k - 1] = sum;
        }
        for (int i = 0; i < objects; i++) {
            cumulative[i] /= sum;
        }
        cumulative[objects - 1] = 1.0;
    }

    public int objects() {
        return objects;
    }

    public double exponent() {
        return exponent;
    }

    /** Probability of rank {@code k} (1-based). */
    public double probability(int k) {
        return cumulative[k - 1] - (k == 1 ? 0 : cumulative[k - 2]);
    }

    /** {@code requests} ranks (1-based) drawn with the given seed. */
    public int[] generate(long seed, int requests) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] trace = new int[requests];
        for (int i = 0; i < requests; i++) {
            trace[i] = sample(random.nextDouble());
        }
        return trace;
    }

    int sample(double u) {
        int i = Arrays.binarySearch(cumulative, u);
        int idx = i >= 0 ? i : -i - 1;
        // binarySearch returns the first index with cumulative >= u (or the exact match)
        return Math.min(idx, objects - 1) + 1;
    }

    /** Distinct objects in a trace: the compulsory misses every cache pays. */
    public static int distinct(int[] trace) {
        return (int) Arrays.stream(trace).distinct().count();
    }
}
