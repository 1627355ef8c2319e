package dev.outpost.edge.origin;

/**
 * Smooth weighted round robin, as nginx does it: each pick adds every eligible server's weight
 * to its current value, takes the largest and subtracts the total from it. Weights 5, 1, 1
 * give {@code a a b a c a a} rather than five a's in a row; equal weights give plain round
 * robin. Servers that are not eligible are left out of the round, so the others share their
 * turns in proportion.
 */
final class SmoothWeighted implements Balancer {

    private final int[] weights;
    private final long[] current;

    SmoothWeighted(int[] weights) {
        this.weights = weights.clone();
        this.current = new long[weights.length];
    }

    @Override
    public synchronized int pick(UpstreamRequest request, boolean[] eligible) {
        long total = 0;
        int best = -1;
        for (int i = 0; i < weights.length; i++) {
            if (!eligible[i]) {
                continue;
            }
            current[i] += weights[i];
            total += weights[i];
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        current[best] -= total;
        return best;
    }
}
