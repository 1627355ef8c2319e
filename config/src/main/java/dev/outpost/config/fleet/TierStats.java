package dev.outpost.config.fleet;

/**
 * Counters of one cache tier ({@code memory} or {@code disk}) since the node started.
 *
 * @param state {@code ok}, {@code failing} (a disk tier whose writes fail: writes skipped and
 *     retried with backoff) or {@code off}
 */
public record TierStats(long hits, long hitBytes, long bytes, long entries, long evictions, String state) {

    public TierStats {
        state = state == null ? "ok" : state;
    }

    public TierStats(long hits, long hitBytes, long bytes, long entries, long evictions) {
        this(hits, hitBytes, bytes, entries, evictions, "ok");
    }
}
