package dev.outpost.loadtest.offload;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded Zipf sampler over objects {@code 0..n-1}: object {@code k} (0 the most popular) is
 * drawn with probability proportional to {@code 1 / (k + 1)^s}. Inverse transform over the
 * precomputed cumulative weights, so a sample costs one binary search.
 */
final class Zipf {

    private final double[] cumulative;
    private final SplittableRandom random;

    Zipf(int n, double exponent, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("need at least one object");
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1.0 / Math.pow(k + 1, exponent);
            cumulative[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cumulative[k] /= sum;
        }
        random = new SplittableRandom(seed);
    }

    int next() {
        double u = random.nextDouble();
        int i = Arrays.binarySearch(cumulative, u);
        return Math.min(i >= 0 ? i : -i - 1, cumulative.length - 1);
    }

    /** {@code count} samples. */
    int[] trace(int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = next();
        }
        return out;
    }
}
