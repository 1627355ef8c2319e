package dev.outpost.config.fleet;

/** Origin offload as a ratio 0..1: the share of client requests that did not go upstream. */
final class OffloadRatio {

    private OffloadRatio() {
    }

    static double of(long requests, long originRequests) {
        return requests <= 0 ? 0 : Math.max(0, 1 - (double) originRequests / requests);
    }
}
