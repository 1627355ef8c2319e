package dev.outpost.controlplane.store;

import java.util.List;

/**
 * Copies one store into another, for moving a single control plane's embedded state to etcd:
 * every log entry with its own sequence number (so nodes resume where they were), then every
 * versioned key (registry records and the like; versions restart at 1 in the target). The target
 * must be empty: a migration never merges two histories.
 */
public final class StoreMigration {

    private static final int BATCH = 500;

    private StoreMigration() {
    }

    /** What was copied. */
    public record Copied(java.util.Map<String, Long> entries, long keys) {
    }

    /**
     * Copies {@code logs} and every key of {@code from} into {@code to}.
     *
     * @throws IllegalStateException when {@code to} already holds any of it
     */
    public static Copied copy(Store from, Store to, List<String> logs) {
        for (String log : logs) {
            if (to.head(log) != 0) {
                throw new IllegalStateException("the target already has a " + log + " log (head #" + to.head(log)
                        + "): refusing to merge histories");
            }
        }
        if (!to.scan("").isEmpty()) {
            throw new IllegalStateException("the target already has keys: refusing to merge histories");
        }
        java.util.Map<String, Long> entries = new java.util.LinkedHashMap<>();
        for (String log : logs) {
            long after = 0;
            for (List<Store.Entry> batch = from.read(log, 0, BATCH); !batch.isEmpty(); batch = from.read(log, after, BATCH)) {
                for (Store.Entry e : batch) {
                    if (e.sequence() != after + 1) {
                        throw new IllegalStateException(log + ": the source skips from #" + after + " to #" + e.sequence());
                    }
                    long written = to.appendAt(log, after, n -> e.value());
                    if (written != e.sequence()) {
                        throw new IllegalStateException(log + ": the target moved while copying #" + e.sequence());
                    }
                    after = e.sequence();
                }
            }
            if (after != from.head(log)) {
                throw new IllegalStateException(log + ": copied up to #" + after + " but the source's head is #" + from.head(log));
            }
            entries.put(log, after);
        }
        long keys = 0;
        for (Store.KeyValue kv : from.scan("")) {
            if (to.compareAndSet(kv.key(), 0, kv.value()) < 0) {
                throw new IllegalStateException("key " + kv.key() + " appeared in the target while copying");
            }
            keys++;
        }
        return new Copied(entries, keys);
    }
}
