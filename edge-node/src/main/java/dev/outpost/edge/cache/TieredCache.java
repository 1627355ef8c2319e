package dev.outpost.edge.cache;

import dev.outpost.config.CacheSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's cache: the memory tier over the disk tier, fills under way, and purges across
 * all three. Keys are built by the request pipeline: a URL key ({@code host/path?query}),
 * optionally followed by {@code NUL} and the rule's extra key parts (the primary key), and for
 * a response that varies, {@code SOH} and the normalised values of the fields it varies on
 * (the variant key). Under the primary key of a varying response sits a variant index naming
 * those fields.
 *
 * <p>Lookups go to memory first, then disk; a disk hit on an object small enough for memory
 * reads and verifies the whole body and offers it to the memory tier (whose W-TinyLFU policy
 * decides whether to keep it), as long as the bytes of such promotions in flight stay within
 * {@code cache.promotion-memory}; past it the hit is served from disk chunk by chunk and not
 * promoted this time ({@code outpost_cache_promotions_skipped_total}). A promoted body the memory
 * tier did not keep is not handed to the client either: it is read from disk chunk by chunk, so
 * a slow reader never holds a whole copy of its own. A storable response is written to disk as it streams in, and
 * to memory when complete if small enough.
 */
public final class TieredCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TieredCache.class);
    public static final char EXTRA = '\u0000';
    public static final char VARIANT = '\u0001';

    private final CacheSettings settings;
    private final InstantSource clock;
    private final MemoryTier memory;
    private final DiskTier disk;
    private final Set<Fill> fills = ConcurrentHashMap.newKeySet();
    private final ExecutorService background = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0,
            java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(16_384),
            Thread.ofPlatform().name("cache-background").daemon().factory(),
            new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
    /**
     * Purges (and removals) exclude the moments when an entry becomes visible in the tiers: a
     * fill storing its entry, and a lookup copying one from disk into memory. A purge holds the
     * write lock throughout, marks the fills it overtakes and bumps {@link #purgeEpoch} when it
     * starts and ends; a store or a copy checks under the read lock that no purge overtook it.
     * So an entry a purge must remove is either in place before the purge (which removes it) or
     * never put there, and no request after the purge can see it. Memory hits take no lock.
     */
    private final ReentrantReadWriteLock purgeGate = new ReentrantReadWriteLock();
    private final AtomicLong purgeEpoch = new AtomicLong();
    private final Counter abandonedFills;
    private final Counter promotionsSkipped;
    private final long promotionBudget;
    private final AtomicLong promoting = new AtomicLong();
    private volatile java.util.function.BooleanSupplier promotionsAllowed = () -> true;
    private volatile long hardPurgeAllAt;
    private volatile long softPurgeAllAt;

    private TieredCache(CacheSettings settings, InstantSource clock, MemoryTier memory, DiskTier disk,
                        MeterRegistry registry) {
        this.settings = settings;
        this.promotionBudget = settings.promotionMemory().bytes();
        this.promotionsSkipped = Counter.builder("outpost.cache.promotions.skipped")
                .description("disk hits not copied into the memory tier because cache.promotion-memory was in flight already")
                .register(registry);
        io.micrometer.core.instrument.Gauge.builder("outpost.cache.promotion.bytes", promoting, AtomicLong::get)
                .description("bytes of disk hits being copied into the memory tier").register(registry);
        this.abandonedFills = Counter.builder("outpost_fills_abandoned_total")
                .description("fills of unknown length passed through unstored once longer than cache.disk-max-object")
                .register(registry);
        this.clock = clock;
        this.memory = memory;
        this.disk = disk;
        if (disk != null) {
            // the tiers are inclusive: memory holds copies of what the disk tier keeps, so the
            // disk tier's size bounds the objects the node holds (as ATS's RAM cache over its disk)
            disk.onEviction(memory::removeIfFill);
            hardPurgeAllAt = disk.marker("hard-purge-all");
            softPurgeAllAt = disk.marker("soft-purge-all");
        }
    }

    /** Opens the tiers; the disk tier lives in {@code dataDir/cache} unless its size is 0. */
    public static TieredCache open(CacheSettings settings, Path dataDir, InstantSource clock, MeterRegistry registry)
            throws IOException {
        MemoryTier memory = new MemoryTier(settings.memorySize().bytes(), settings.memoryMaxObject().bytes(), registry,
                Runnable::run);
        DiskTier disk = settings.diskSize().bytes() == 0 ? null
                : DiskTier.open(dataDir.resolve("cache"), settings.diskSize().bytes(), clock, registry);
        return new TieredCache(settings, clock, memory, disk, registry);
    }

    DiskTier disk() {
        return disk;
    }

    /** What a lookup found. */
    public sealed interface Lookup permits Hit, Miss {
    }

    /**
     * A stored response. {@code memoryBody} is the whole body when it is in memory; otherwise
     * the body is read from disk with {@link #bodyReader}.
     */
    public record Hit(CachedResponse response, ByteBuffer memoryBody, Tier tier, MemoryTier.MemoryEntry entry)
            implements Lookup {
        Hit(CachedResponse response, ByteBuffer memoryBody, Tier tier) {
            this(response, memoryBody, tier, null);
        }
    }

    /** Nothing usable: {@code varyMiss} when the URL is stored but not this variant. */
    public record Miss(boolean varyMiss, List<String> varyNames) implements Lookup {
    }

    /** Where a hit came from. */
    public enum Tier { MEMORY, DISK }

    private static final Miss MISS = new Miss(false, List.of());

    /**
     * Looks up a primary key; {@code variantKey} turns the fields a stored response varies on
     * into the variant key for this request.
     */
    public Lookup lookup(String primaryKey, Function<List<String>, String> variantKey) {
        if (disk != null) {
            disk.recordAccess(primaryKey);
        }
        return lookAgain(primaryKey, variantKey);
    }

    /** A lookup that does not count as a request (the same request looking a second time). */
    public Lookup lookAgain(String primaryKey, Function<List<String>, String> variantKey) {
        long seq = purgeEpoch.get();
        MemoryTier.MemoryEntry m = memory.get(primaryKey);
        if (m != null && visible(m.meta())) {
            if (!m.meta().isVariantIndex()) {
                return new Hit(adjust(m.meta()), m.body(), Tier.MEMORY, m);
            }
            String vk = variantKey.apply(m.meta().varyNames());
            MemoryTier.MemoryEntry v = memory.get(vk);
            if (v != null && visible(v.meta())) {
                return new Hit(adjust(v.meta()), v.body(), Tier.MEMORY, v);
            }
            Lookup fromDisk = diskLookup(vk, seq);
            return fromDisk instanceof Hit ? fromDisk : new Miss(true, m.meta().varyNames());
        }
        if (disk == null) {
            return MISS;
        }
        CachedResponse index;
        try {
            index = disk.get(primaryKey);
        } catch (CorruptEntryException e) {
            return MISS;
        }
        if (index == null || !visible(index)) {
            return MISS;
        }
        if (index.isVariantIndex()) {
            promote(index, null, seq);
            String vk = variantKey.apply(index.varyNames());
            Lookup fromDisk = diskLookup(vk, seq);
            return fromDisk instanceof Hit ? fromDisk : new Miss(true, index.varyNames());
        }
        return diskHit(index, seq);
    }

    /** A memory-only lookup that never blocks, for the I/O thread; null when the answer needs the disk. */
    public Hit memoryHit(String primaryKey, Function<List<String>, String> variantKey) {
        MemoryTier.MemoryEntry m = memory.get(primaryKey);
        if (m != null && disk != null) {
            disk.recordAccess(primaryKey);
        }
        if (m == null || !visible(m.meta())) {
            return null;
        }
        if (m.meta().isVariantIndex()) {
            m = memory.get(variantKey.apply(m.meta().varyNames()));
            if (m == null || !visible(m.meta())) {
                return null;
            }
        }
        return new Hit(adjust(m.meta()), m.body(), Tier.MEMORY, m);
    }

    private Lookup diskLookup(String key, long seq) {
        if (disk == null) {
            return MISS;
        }
        try {
            CachedResponse r = disk.get(key);
            return r == null || !visible(r) ? MISS : diskHit(r, seq);
        } catch (CorruptEntryException e) {
            return MISS;
        }
    }

    private Lookup diskHit(CachedResponse r, long seq) {
        r = adjust(r);
        touchLater(r);
        long length = r.bodyLength();
        if (memory.fits(length)) {
            if (!reservePromotion(length)) {
                promotionsSkipped.increment();
                return new Hit(r, null, Tier.DISK);
            }
            try {
                ByteBuffer body = ByteBuffer.allocateDirect((int) length);
                int chunks = chunkCount(r);
                for (int i = 0; i < chunks; i++) {
                    body.put(disk.readChunk(r, i));
                }
                body.flip();
                MemoryTier.MemoryEntry kept = promote(r, body, seq);
                // the memory tier's own buffer, shared by every reader; a copy it did not keep
                // would be this reader's alone: the body is read from disk chunk by chunk instead
                return kept != null && memory.holds(r.key(), kept) ? new Hit(r, kept.body(), Tier.DISK)
                        : new Hit(r, null, Tier.DISK);
            } catch (CorruptEntryException e) {
                return MISS;
            } finally {
                promoting.addAndGet(-length);
            }
        }
        return new Hit(r, null, Tier.DISK);
    }

    /**
     * Disk hits are promoted into the memory tier only while {@code allowed} says so (the request
     * pipeline's slow readers within their budget: a promotion evicts bodies they may still be
     * writing, which then stay in memory until they are done).
     */
    public void promoteOnlyWhile(java.util.function.BooleanSupplier allowed) {
        this.promotionsAllowed = allowed;
    }

    /** Takes {@code bytes} of {@code cache.promotion-memory} for a promotion; false when that would go past it. */
    private boolean reservePromotion(long bytes) {
        if (!promotionsAllowed.getAsBoolean()) {
            return false;
        }
        if (promoting.addAndGet(bytes) > promotionBudget) {
            promoting.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /** Bytes of promotions in flight (for tests). */
    long promotingBytes() {
        return promoting.get();
    }

    /**
     * Copies a disk entry into memory unless a purge ran since the lookup began ({@code seq}: the
     * purge epoch then); returns the memory entry, or null when nothing was stored.
     */
    private MemoryTier.MemoryEntry promote(CachedResponse r, ByteBuffer body, long seq) {
        purgeGate.readLock().lock();
        try {
            if (purgeEpoch.get() == seq) {
                return memory.put(r, body);
            }
            return null;
        } finally {
            purgeGate.readLock().unlock();
        }
    }

    /** Runs a purge (or removal) so that no store or copy under way brings back what it removed. */
    private <T> T purging(Supplier<T> purge) {
        purgeGate.writeLock().lock();
        try {
            purgeEpoch.incrementAndGet();
            return purge.get();
        } finally {
            purgeEpoch.incrementAndGet();
            purgeGate.writeLock().unlock();
        }
    }

    static int chunkCount(CachedResponse r) {
        return r.bodyLength() == 0 ? 0 : (int) ((r.bodyLength() + r.chunkSize() - 1) / r.chunkSize());
    }

    /** Reads a stored body chunk by chunk from disk (for objects too large for memory). */
    public BodyReader bodyReader(CachedResponse r) {
        return (index) -> {
            try {
                return disk.readChunk(r, index);
            } catch (CorruptEntryException e) {
                throw new IOException("stored body is corrupt: " + e.getMessage());
            }
        };
    }

    /** Reads chunk {@code index} of a stored body, verifying it. */
    @FunctionalInterface
    public interface BodyReader {
        ByteBuffer chunk(int index) throws IOException;
    }

    private boolean visible(CachedResponse r) {
        return r.responseTime() >= hardPurgeAllAt || hardPurgeAllAt == 0;
    }

    private CachedResponse adjust(CachedResponse r) {
        long soft = softPurgeAllAt;
        if (soft > 0 && r.responseTime() < soft && (r.purgedAt() == 0 || r.purgedAt() > soft)) {
            return r.withPurgedAt(soft);
        }
        return r;
    }

    private void touchLater(CachedResponse r) {
        if (disk != null) {
            background.execute(() -> disk.touch(r));
        }
    }

    /**
     * Marks a memory hit as recent in the disk tier too, so eviction there follows real use;
     * at most once a minute per object.
     */
    public void touch(Hit hit) {
        MemoryTier.MemoryEntry e = hit.entry();
        if (e == null || disk == null) {
            return;
        }
        long bucket = clock.millis() / 60_000;
        if (e.touchedBucket != bucket) {
            e.touchedBucket = bucket;
            touchLater(hit.response());
        }
    }

    /**
     * Starts storing a response; null when it cannot be stored (too large, not admitted, disk
     * failing and too large for memory).
     *
     * @param head the response's metadata; its key, fill id and chunk size are set here
     * @param expectedLength Content-Length, or -1
     */
    public Fill beginFill(CachedResponse head, long expectedLength) {
        long maxObject = settings.diskMaxObject().bytes();
        if (expectedLength > maxObject) {
            return null;
        }
        boolean keepAll = expectedLength >= 0 ? memory.fits(expectedLength) : true;
        long reserve = expectedLength >= 0 ? expectedLength : 0;
        boolean diskWorking = disk != null && !disk.isFailing();
        boolean toDisk = diskWorking && disk.admit(head.key(), expectedLength);
        if (diskWorking && !toDisk) {
            return null; // not popular enough to displace what the disk tier holds: not stored at all
        }
        if (!toDisk && !(keepAll && expectedLength >= 0)) {
            return null;
        }
        // a body known to fit one chunk and kept in heap whole is written with its commit, in one
        // batch: no pending mark and no chunk write of its own (three writes a miss become one)
        boolean whole = toDisk && keepAll && expectedLength >= 0 && expectedLength <= settings.chunkSize().bytes();
        long fillId;
        try {
            fillId = toDisk ? disk.newFillId() : 0;
            if (whole) {
                disk.beginWholeFill(fillId, head.key(), reserve);
            } else if (toDisk) {
                disk.beginFill(fillId, head.key(), reserve);
            }
        } catch (RocksDBException e) {
            if (!(keepAll && expectedLength >= 0)) {
                return null;
            }
            toDisk = false;
            fillId = 0;
        }
        CachedResponse h = new CachedResponse(head.key(), head.status(), head.headerNames(), head.headerValues(),
                head.requestTime(), head.responseTime(), head.correctedInitialAge(), head.lifetime(),
                head.staleWhileRevalidate(), head.staleIfError(), head.flags(), expectedLength, fillId,
                (int) settings.chunkSize().bytes(), head.tags(), head.varyNames(), 0);
        Fill fill = new Fill(this, h, expectedLength, toDisk, keepAll, toDisk ? reserve : 0,
                settings.memoryMaxObject().bytes(), maxObject, whole);
        fills.add(fill);
        return fill;
    }

    /** Called by a fill that completed: stores it in the tiers. */
    boolean commit(Fill fill, CachedResponse done, boolean onDisk, ByteBuffer body, long reserved) {
        if (done.bodyLength() > settings.diskMaxObject().bytes()) {
            if (onDisk) {
                disk.abort(done.fillId(), reserved);
            }
            return false;
        }
        String key = done.key();
        int variant = key.indexOf(VARIANT);
        purgeGate.readLock().lock();
        try {
            return store(fill, done, onDisk, body, reserved, key, variant);
        } finally {
            purgeGate.readLock().unlock();
        }
    }

    /** Called with the purge gate's read lock: stores a completed fill unless a purge overtook it. */
    private boolean store(Fill fill, CachedResponse done, boolean onDisk, ByteBuffer body, long reserved, String key,
                          int variant) {
        if (fill.invalidated()) {
            if (onDisk) {
                disk.abort(done.fillId(), reserved);
            }
            return false;
        }
        try {
            if (onDisk) {
                if (variant > 0) {
                    writeVariantIndex(key.substring(0, variant), done.varyNames());
                }
                if (fill.writtenWithCommit()) {
                    // such a fill is kept whole in heap, so its complete body is here
                    if (body == null) {
                        throw new RocksDBException("fill of " + key + " has no whole body to write");
                    }
                    disk.commit(done, reserved, body);
                } else {
                    disk.commit(done, reserved);
                }
            }
        } catch (RocksDBException e) {
            LOG.warn("could not store {}: {}", key, e.getMessage());
            disk.abort(done.fillId(), reserved);
            onDisk = false;
        }
        if (body != null) {
            if (variant > 0) {
                memory.put(variantIndex(key.substring(0, variant), done.varyNames()), null);
            }
            memory.put(done, body);
        } else {
            memory.remove(key);
        }
        return onDisk || body != null;
    }

    private CachedResponse variantIndex(String primaryKey, List<String> names) {
        return new CachedResponse(primaryKey, 0, new String[0], new String[0], clock.millis(), clock.millis(), 0, 0, 0, 0, 0,
                0, 0, 0, List.of(), names, 0);
    }

    private void writeVariantIndex(String primaryKey, List<String> names) throws RocksDBException {
        CachedResponse existing = null;
        try {
            existing = disk.get(primaryKey);
        } catch (CorruptEntryException ignored) {
            // replaced below
        }
        if (existing == null || !existing.isVariantIndex() || !existing.varyNames().equals(names)) {
            disk.commit(variantIndex(primaryKey, names).withBodyLength(0), 0);
        }
        List<String> variants = new ArrayList<>();
        disk.forEachKey(primaryKey + VARIANT, variants::add);
        if (variants.size() >= settings.maxVariants()) {
            CachedResponse oldest = null;
            for (String v : variants) {
                try {
                    CachedResponse r = disk.get(v);
                    if (r != null && (oldest == null || r.responseTime() < oldest.responseTime())) {
                        oldest = r;
                    }
                } catch (CorruptEntryException ignored) {
                    // dropped
                }
            }
            if (oldest != null) {
                disk.delete(oldest.key());
                memory.remove(oldest.key());
            }
        }
    }

    void fillEnded(Fill fill) {
        fills.remove(fill);
    }

    /** A fill of unknown length grew past the largest storable object and goes through unstored. */
    void fillAbandoned() {
        abandonedFills.increment();
    }

    /** Replaces a stored response's metadata after a 304 (its body is unchanged). */
    public void freshen(CachedResponse updated) {
        memory.replaceMeta(updated);
        if (disk != null) {
            disk.update(updated);
        }
    }

    /** Removes the entry under this storage key from both tiers, and keeps a fill of it under way from storing. */
    public void remove(String key) {
        purging(() -> {
            invalidateFills(f -> f.key().equals(key));
            memory.remove(key);
            if (disk != null) {
                disk.delete(key);
            }
            return null;
        });
    }

    // ---- purges ----

    /** Removes or marks stale everything stored for these URL keys (all extras and variants). */
    public int purgeUrlKeys(List<String> urlKeys, boolean soft) {
        int n = 0;
        for (String urlKey : urlKeys) {
            Predicate<String> match = k -> k.equals(urlKey) || k.startsWith(urlKey + EXTRA) || k.startsWith(urlKey + VARIANT);
            n += purgeMatching(urlKey, match, soft);
        }
        return n;
    }

    /** Everything whose key starts with {@code keyPrefix}. */
    public int purgePrefix(String keyPrefix, boolean soft) {
        return purgeMatching(keyPrefix, k -> k.startsWith(keyPrefix), soft);
    }

    /** Everything stored for {@code host}, on any port. */
    public int purgeHost(String host, boolean soft) {
        return purgeMatching(host + "/", k -> k.startsWith(host + "/"), soft)
                + purgeMatching(host + ":", k -> k.startsWith(host + ":"), soft);
    }

    private int purgeMatching(String diskPrefix, Predicate<String> match, boolean soft) {
        return purging(() -> purgeMatchingNow(diskPrefix, match, soft));
    }

    private int purgeMatchingNow(String diskPrefix, Predicate<String> match, boolean soft) {
        long now = clock.millis();
        invalidateFills(f -> match.test(f.key()));
        int[] n = {0};
        if (soft) {
            memory.replaceIf((k, meta) -> match.test(k) && !meta.isVariantIndex(), meta -> meta.withPurgedAt(now));
        } else {
            memory.removeIf((k, meta) -> match.test(k));
        }
        if (disk != null) {
            List<String> keys = new ArrayList<>();
            disk.forEachKey(diskPrefix, k -> {
                if (match.test(k)) {
                    keys.add(k);
                }
            });
            for (String k : keys) {
                n[0] += purgeOnDisk(k, soft, now);
            }
        }
        return n[0];
    }

    private int purgeOnDisk(String key, boolean soft, long now) {
        if (!soft) {
            return disk.delete(key) ? 1 : 0;
        }
        try {
            CachedResponse r = disk.get(key);
            if (r != null && !r.isVariantIndex()) {
                disk.update(r.withPurgedAt(now));
                return 1;
            }
        } catch (CorruptEntryException ignored) {
            // dropped
        }
        return 0;
    }

    /** Marks the fills under way that {@code which} selects, so that none of them stores its entry. */
    private void invalidateFills(Predicate<Fill> which) {
        for (Fill f : fills) {
            if (which.test(f)) {
                f.invalidate();
            }
        }
    }

    /** Everything tagged {@code tag} (Surrogate-Key or Cache-Tag). */
    public int purgeTag(String tag, boolean soft) {
        return purging(() -> purgeTagNow(tag, soft));
    }

    private int purgeTagNow(String tag, boolean soft) {
        long now = clock.millis();
        invalidateFills(f -> f.head().tags().contains(tag));
        if (soft) {
            memory.replaceIf((k, meta) -> meta.tags().contains(tag), meta -> meta.withPurgedAt(now));
        } else {
            memory.removeIf((k, meta) -> meta.tags().contains(tag));
        }
        int n = 0;
        if (disk != null) {
            for (String key : disk.keysWithTag(tag)) {
                n += purgeOnDisk(key, soft, now);
            }
        }
        return n;
    }

    /** Everything. Takes effect at once; the disk tier deletes in the background. */
    public void purgeAll(boolean soft) {
        purging(() -> {
            purgeAllNow(soft);
            return null;
        });
    }

    private void purgeAllNow(boolean soft) {
        long now = clock.millis();
        fills.forEach(Fill::invalidate);
        if (soft) {
            softPurgeAllAt = now;
            memory.replaceIf((k, meta) -> !meta.isVariantIndex(), meta -> meta.withPurgedAt(now));
            if (disk != null) {
                disk.setMarker("soft-purge-all", now);
            }
            return;
        }
        hardPurgeAllAt = now + 1;
        memory.removeIf((k, meta) -> true);
        if (disk != null) {
            disk.setMarker("hard-purge-all", now + 1);
            background.execute(() -> {
                List<String> keys = new ArrayList<>();
                disk.forEachKey("", keys::add);
                for (String k : keys) {
                    try {
                        CachedResponse r = disk.get(k);
                        if (r != null && r.responseTime() <= now) {
                            disk.delete(k);
                        }
                    } catch (CorruptEntryException ignored) {
                        // dropped
                    }
                }
            });
        }
    }

    // ---- figures ----

    public long memoryBytes() {
        return memory.bytes();
    }

    public long memoryEntries() {
        return memory.entries();
    }

    public long diskBytes() {
        return disk == null ? 0 : disk.usedBytes();
    }

    public long diskEntries() {
        return disk == null ? 0 : disk.entries();
    }

    /** The disk tier's state for /stats: {@code ok}, {@code failing}, or {@code off} (none). */
    public String diskState() {
        return disk == null ? "off" : disk.state();
    }

    /** The disk tier's state, last error and recoveries, for /healthz; null without a disk tier. */
    public java.util.Map<String, Object> diskHealth() {
        return disk == null ? null : disk.health();
    }

    public boolean hasDisk() {
        return disk != null;
    }

    /** Runs pending maintenance (memory-tier evictions); for tests and shutdown. */
    public void cleanUp() {
        memory.cleanUp();
    }

    /** Evicts the disk tier down to its bound now, rather than on the evictor's next turn. */
    public void evictNow() {
        if (disk != null && disk.usedBytes() > disk.maxBytes()) {
            disk.evictTo(disk.evictionTarget());
        }
    }

    /**
     * How long closing waits for fills whose body has all arrived to be stored: readers are let
     * go before the store, so a client can have its whole response (and graceful shutdown its
     * last exchange) while the entry is still on its way to disk.
     */
    private static final long STORE_GRACE_NANOS = 5_000_000_000L;

    @Override
    public void close() {
        long deadline = System.nanoTime() + STORE_GRACE_NANOS;
        for (Fill f : fills) {
            if (f.finalLength() < 0) {
                continue; // still receiving: given up below
            }
            try {
                f.awaitEnd(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Fill f : fills) {
            f.fail(new IOException("node shutting down"));
        }
        background.shutdown();
        try {
            background.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (disk != null) {
            disk.close();
        }
    }
}
