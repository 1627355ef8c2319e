package dev.outpost.loadtest.load;

/**
 * One closed-loop load run: throughput, latency percentiles in milliseconds, and what went
 * wrong (errors counts socket errors, timeouts and non-2xx/3xx answers together).
 */
public record LoadResult(double requestsPerSecond, double p50Millis, double p99Millis, long requests, long errors) {

    /** A run counts only if almost every request succeeded. */
    public boolean valid() {
        return requests > 0 && errors <= requests / 100;
    }
}
