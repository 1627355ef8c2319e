package dev.outpost.config.fleet;

/** Counters of one cache tier ({@code memory} or {@code disk}) since the node started. */
public record TierStats(long hits, long hitBytes, long bytes, long entries, long evictions) {
}
