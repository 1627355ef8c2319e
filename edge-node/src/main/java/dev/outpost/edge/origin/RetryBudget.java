package dev.outpost.edge.origin;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the retries a pool has in flight to a share of its requests in flight (as Envoy's
 * retry budgets do), so that when a whole pool fails, retries add a fraction to the load
 * instead of multiplying it. A small floor ({@value #MIN_CONCURRENT_RETRIES}) lets a quiet pool
 * retry at all; a budget of 0 turns retries off.
 */
final class RetryBudget {

    static final int MIN_CONCURRENT_RETRIES = 3;

    private final double ratio;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();

    RetryBudget(double ratio) {
        this.ratio = ratio;
    }

    void requestStarted() {
        requests.incrementAndGet();
    }

    void requestEnded() {
        requests.decrementAndGet();
    }

    /** Takes a retry slot if the budget allows one now; give it back with {@link #retryEnded}. */
    boolean tryRetry() {
        if (ratio <= 0) {
            return false;
        }
        while (true) {
            int r = retries.get();
            int allowed = Math.max(MIN_CONCURRENT_RETRIES, (int) (ratio * requests.get()));
            if (r >= allowed) {
                return false;
            }
            if (retries.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    void retryEnded() {
        retries.decrementAndGet();
    }

    int retriesInFlight() {
        return retries.get();
    }
}
