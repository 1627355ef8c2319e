package dev.outpost.edge.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;

/**
 * The memory tier: whole responses (metadata and a read-only direct buffer of the body) in a
 * Caffeine cache bounded in bytes, with W-TinyLFU admission. A hit is written straight from
 * the buffer on the I/O thread, with no copy.
 */
final class MemoryTier {

    private final Cache<String, MemoryEntry> cache;
    private final long maxObject;

    MemoryTier(long maxBytes, long maxObject, MeterRegistry registry, Executor executor) {
        this.maxObject = maxObject;
        Counter evictions = Counter.builder("outpost.cache.evictions").tag("tier", "memory")
                .description("Entries evicted to keep a tier within its byte bound").register(registry);
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String k, MemoryEntry e) -> (int) Math.min(Integer.MAX_VALUE, e.weight()))
                .executor(executor)
                .removalListener((String k, MemoryEntry e, RemovalCause cause) -> {
                    if (cause.wasEvicted()) {
                        evictions.increment();
                    }
                })
                .build();
        Gauge.builder("outpost.cache.bytes", cache, c -> c.policy().eviction().orElseThrow().weightedSize().orElse(0))
                .tag("tier", "memory").description("Bytes held by a cache tier").register(registry);
        Gauge.builder("outpost.cache.entries", cache, Cache::estimatedSize)
                .tag("tier", "memory").description("Entries held by a cache tier").register(registry);
    }

    MemoryEntry get(String key) {
        return cache.getIfPresent(key);
    }

    boolean fits(long bodyLength) {
        return bodyLength <= maxObject;
    }

    /** Stores an entry; returns it, or null when the object is too large for this tier. */
    MemoryEntry put(CachedResponse meta, ByteBuffer body) {
        if (meta.bodyLength() > maxObject) {
            return null;
        }
        MemoryEntry e = new MemoryEntry(meta, body == null ? null : body.asReadOnlyBuffer());
        cache.put(meta.key(), e);
        return e;
    }

    /** Whether {@code entry} is (still) the one stored under {@code key}: admitted, not evicted. */
    boolean holds(String key, MemoryEntry entry) {
        return cache.asMap().get(key) == entry;
    }

    /** Removes the entry under {@code key} if it is still {@code entry}. */
    void removeIfSame(String key, MemoryEntry entry) {
        cache.asMap().remove(key, entry);
    }

    /** Removes the entry under {@code key} if its metadata is {@code meta} (the same object). */
    void removeIfMeta(String key, CachedResponse meta) {
        cache.asMap().computeIfPresent(key, (k, e) -> e.meta() == meta ? null : e);
    }

    /** Removes the copy under {@code key} if it is of fill {@code fillId} (not a newer one). */
    void removeIfFill(String key, long fillId) {
        cache.asMap().computeIfPresent(key, (k, e) -> e.meta().fillId() == fillId ? null : e);
    }

    /** Replaces the metadata of an entry whose body is unchanged (304, soft purge). */
    void replaceMeta(CachedResponse meta) {
        cache.asMap().computeIfPresent(meta.key(), (k, e) -> e.meta().fillId() == meta.fillId()
                ? new MemoryEntry(meta, e.body()) : e);
    }

    void remove(String key) {
        cache.invalidate(key);
    }

    /** Removes every entry for which {@code test(key, meta)} holds. */
    void removeIf(BiPredicate<String, CachedResponse> test) {
        cache.asMap().entrySet().removeIf(e -> test.test(e.getKey(), e.getValue().meta()));
    }

    /** Applies {@code change} to every entry for which {@code test} holds. */
    void replaceIf(BiPredicate<String, CachedResponse> test, java.util.function.UnaryOperator<CachedResponse> change) {
        for (var e : cache.asMap().entrySet()) {
            if (test.test(e.getKey(), e.getValue().meta())) {
                cache.asMap().computeIfPresent(e.getKey(), (k, v) -> new MemoryEntry(change.apply(v.meta()), v.body()));
            }
        }
    }

    long bytes() {
        return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    long entries() {
        return cache.estimatedSize();
    }

    void cleanUp() {
        cache.cleanUp();
    }

    /** A response held in memory. {@code body} is null for a variant index. */
    static final class MemoryEntry {
        private final CachedResponse meta;
        private final ByteBuffer body;
        /** The recency bucket last reported to the disk tier, so a hot object costs one disk write a minute. */
        volatile long touchedBucket;

        MemoryEntry(CachedResponse meta, ByteBuffer body) {
            this.meta = meta;
            this.body = body;
        }

        CachedResponse meta() {
            return meta;
        }

        ByteBuffer body() {
            return body;
        }

        long weight() {
            return meta.weight();
        }
    }
}
