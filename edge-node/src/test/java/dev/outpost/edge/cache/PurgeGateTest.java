package dev.outpost.edge.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.CacheSettings;
import dev.outpost.config.DataSize;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The purge gate of {@link TieredCache}: a purge (by URL, prefix, host, tag, everything, or a
 * removal) that overtakes a fill in flight keeps that fill from storing its entry, while the
 * fill still completes for its readers; fills of keys the purge does not cover, and fills begun
 * after it, are stored; no lookup after a purge sees what it purged, in either tier; and the
 * moments an entry becomes visible (a fill storing it, a lookup copying it from disk into memory)
 * exclude a purge, so that neither brings back what the purge removed.
 */
class PurgeGateTest {

    private static final String KEY = "shop.example/p/a";
    private static final String OTHER = "other.example/x";
    private static final int CHUNK = 64;
    /** Small: a memory-tier candidate (and on disk). */
    private static final int SMALL = 150;
    /** Large: on disk only. */
    private static final int LARGE = 5_000;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private TieredCache cache;

    /** The purges of the cache, each of the URL {@link #KEY} (tagged {@code t}) and never of {@link #OTHER}, but for ALL. */
    enum Purge {
        URL, PREFIX, HOST, TAG, ALL, REMOVE;

        void run(TieredCache cache, boolean soft) {
            switch (this) {
                case URL -> cache.purgeUrlKeys(List.of(KEY), soft);
                case PREFIX -> cache.purgePrefix("shop.example/p/", soft);
                case HOST -> cache.purgeHost("shop.example", soft);
                case TAG -> cache.purgeTag("t", soft);
                case ALL -> cache.purgeAll(soft);
                case REMOVE -> cache.remove(KEY);
            }
        }
    }

    static Stream<Arguments> purges() {
        return Stream.of(Purge.values()).flatMap(p -> p == Purge.REMOVE ? Stream.of(Arguments.of(p, false))
                : Stream.of(Arguments.of(p, false), Arguments.of(p, true)));
    }

    static Stream<Arguments> hardPurges() {
        return Stream.of(Purge.values()).map(p -> Arguments.of(p, false));
    }

    static Stream<Arguments> softPurges() {
        return Stream.of(Purge.values()).filter(p -> p != Purge.REMOVE).map(p -> Arguments.of(p, true));
    }

    @BeforeEach
    void open() throws IOException {
        cache = openCache();
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private TieredCache openCache() throws IOException {
        CacheSettings settings = new CacheSettings(DataSize.ofMebibytes(1), DataSize.ofKibibytes(4),
                DataSize.ofMebibytes(16), DataSize.ofKibibytes(64), DataSize.ofBytes(CHUNK), null, null, null, null,
                null, null);
        return TieredCache.open(settings, dir, clock, new SimpleMeterRegistry());
    }

    // ---- fills in flight ----

    @ParameterizedTest(name = "{0} soft={1}")
    @MethodSource("purges")
    void aPurgeThatOvertakesAFillInFlightKeepsItFromBeingStored(Purge purge, boolean soft) throws Exception {
        for (int length : new int[] {SMALL, LARGE}) {
            byte[] body = FillTest.body(length);
            Fill covered = begin(KEY, List.of("t"), length);
            Fill other = begin(OTHER, List.of("u"), length);
            covered.append(body, 0, length / 2);
            other.append(body, 0, length / 2);

            purge.run(cache, soft);
            assertThat(covered.invalidated()).isTrue();
            assertThat(other.invalidated()).isEqualTo(purge == Purge.ALL);

            covered.append(body, length / 2, length - length / 2);
            other.append(body, length / 2, length - length / 2);
            assertThat(readUntil(covered, length)).as("its reader gets the whole body").isEqualTo(body);
            covered.complete();
            other.complete();
            assertThat(covered.failure()).isNull();
            assertThat(covered.read(length, 10_000)).as("and then its end, not an error").isNull();
            assertThat(covered.awaitEnd(10_000)).as("not stored").isNull();
            assertMiss(KEY);
            if (purge == Purge.ALL) {
                assertThat(other.awaitEnd(10_000)).isNull();
                assertMiss(OTHER);
            } else {
                assertThat(other.awaitEnd(10_000)).as("a fill the purge does not cover").isNotNull();
                assertThat(hit(OTHER).response().bodyLength()).isEqualTo(length);
            }
            clock.advanceSeconds(1);
        }
    }

    @ParameterizedTest(name = "{0} soft={1}")
    @MethodSource("purges")
    void aFillBegunAfterAPurgeIsStored(Purge purge, boolean soft) throws Exception {
        purge.run(cache, soft);
        clock.advanceSeconds(1);
        store(KEY, SMALL);
        TieredCache.Hit hit = hit(KEY);
        assertThat(hit.response().purgedAt()).isZero();
        assertThat(hit.response().isFresh(clock.millis())).isTrue();
    }

    // ---- what is stored ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("hardPurges")
    void noLookupAfterAHardPurgeSeesWhatItPurged(Purge purge, boolean soft) throws Exception {
        store(KEY, SMALL);
        store(KEY + "?page=2", LARGE);
        store(OTHER, SMALL);
        assertThat(hit(KEY).tier()).isEqualTo(TieredCache.Tier.MEMORY);
        assertThat(hit(KEY + "?page=2").tier()).isEqualTo(TieredCache.Tier.DISK);
        clock.advanceSeconds(1);

        purge.run(cache, soft);
        assertMiss(KEY);
        assertMiss(KEY); // a miss is not a lookup that brings it back from disk
        if (purge != Purge.URL && purge != Purge.REMOVE) {
            assertMiss(KEY + "?page=2");
        } else {
            assertThat(hit(KEY + "?page=2").response().bodyLength()).as("another URL").isEqualTo(LARGE);
        }
        if (purge == Purge.ALL) {
            assertMiss(OTHER);
        } else {
            assertThat(hit(OTHER).response().purgedAt()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("softPurges")
    void aLookupAfterASoftPurgeSeesWhatItPurgedAsStale(Purge purge, boolean soft) throws Exception {
        store(KEY, SMALL);
        store(OTHER, SMALL);
        clock.advanceSeconds(1);

        purge.run(cache, soft);
        for (int i = 0; i < 2; i++) {
            TieredCache.Hit hit = hit(KEY);
            assertThat(hit.response().purgedAt()).as("marked purged").isPositive();
            assertThat(hit.response().isFresh(clock.millis())).as("stale from the purge on").isFalse();
        }
        assertThat(hit(OTHER).response().isFresh(clock.millis())).isEqualTo(purge != Purge.ALL);
    }

    // ---- the moments an entry becomes visible exclude a purge ----

    @Test
    void aPurgeWaitsForAFillStoringItsEntryAndThenRemovesIt() throws Exception {
        // the entry's tags are read while the fill stores it (inside the gate, after the fill
        // checked that no purge overtook it): the purge starts right then
        HookedTags tags = new HookedTags("t");
        byte[] body = FillTest.body(SMALL);
        Fill fill = begin(KEY, tags, SMALL);
        fill.append(body, 0, SMALL);
        AtomicReference<Thread> purging = new AtomicReference<>();
        AtomicBoolean purgeWaited = new AtomicBoolean();
        tags.onUse = () -> {
            Thread p = Thread.ofPlatform().name("purge").daemon().start(() -> cache.purgeUrlKeys(List.of(KEY), false));
            purging.set(p);
            Await.until("the purge waits at the gate, or has run", Duration.ofSeconds(5),
                    () -> waitsAtTheGate(p) || p.getState() == Thread.State.TERMINATED);
            purgeWaited.set(waitsAtTheGate(p));
        };
        FutureTask<Void> completing = new FutureTask<>(fill::complete, null);
        Thread storing = Thread.ofPlatform().name("storing").daemon().unstarted(completing);
        tags.armFor(storing);
        storing.start();
        completing.get(10, TimeUnit.SECONDS);
        assertThat(purging.get()).as("the store read the tags").isNotNull();
        purging.get().join(10_000);

        assertThat(purgeWaited).as("the purge waited for the store under way").isTrue();
        assertThat(fill.awaitEnd(10_000)).as("stored before the purge").isNotNull();
        assertMiss(KEY);
    }

    @ParameterizedTest(name = "soft={0}")
    @ValueSource(booleans = {false, true})
    void aDiskHitThatAPurgeOvertookIsNotCopiedIntoMemory(boolean soft) throws Exception {
        store(KEY, SMALL);
        cache.close();
        cache = openCache(); // the memory tier is empty: the entry is on disk only
        clock.advanceSeconds(1);

        // the lookup has read the entry's metadata from disk; the purge runs before it copies the body into memory
        AtomicBoolean armed = new AtomicBoolean(true);
        cache.promoteOnlyWhile(() -> {
            if (armed.getAndSet(false)) {
                cache.purgeUrlKeys(List.of(KEY), soft);
            }
            return true;
        });
        cache.lookup(KEY, names -> KEY); // began before the purge: what it answers is its own
        assertThat(armed).as("the lookup went to promote the entry").isFalse();

        if (soft) {
            for (int i = 0; i < 2; i++) {
                TieredCache.Hit hit = hit(KEY);
                assertThat(hit.response().purgedAt()).as("no unpurged copy in memory").isPositive();
                assertThat(hit.response().isFresh(clock.millis())).isFalse();
            }
        } else {
            assertMiss(KEY);
        }
    }

    // ---- helpers ----

    /** Parked on a read-write lock (the purge gate's write lock; the tiers take no such lock). */
    private static boolean waitsAtTheGate(Thread t) {
        Object blocker = LockSupport.getBlocker(t);
        return t.getState() == Thread.State.WAITING && blocker != null
                && blocker.getClass().getName().startsWith("java.util.concurrent.locks.ReentrantReadWriteLock");
    }

    private Fill begin(String key, List<String> tags, long length) {
        long now = clock.millis();
        CachedResponse head = new CachedResponse(key, 200, new String[0], new String[0], now, now, 0, 60_000, 0, 0, 0,
                length, 0, 0, tags, List.of(), 0);
        Fill fill = cache.beginFill(head, length);
        assertThat(fill).as("a fill of %s", key).isNotNull();
        return fill;
    }

    /** Stores a response for {@code key}, tagged {@code t} unless it is {@link #OTHER} (tagged {@code u}). */
    private void store(String key, int length) throws Exception {
        Fill fill = begin(key, List.of(key.equals(OTHER) ? "u" : "t"), length);
        byte[] body = FillTest.body(length);
        fill.append(body, 0, length);
        fill.complete();
        assertThat(fill.awaitEnd(10_000)).as("%s stored", key).isNotNull();
    }

    private TieredCache.Hit hit(String key) {
        TieredCache.Lookup found = cache.lookup(key, names -> key);
        assertThat(found).as(key).isInstanceOf(TieredCache.Hit.class);
        return (TieredCache.Hit) found;
    }

    private void assertMiss(String key) {
        assertThat(cache.memoryHit(key, names -> key)).as("%s in memory", key).isNull();
        assertThat(cache.lookup(key, names -> key)).as(key).isInstanceOf(TieredCache.Miss.class);
    }

    private static byte[] readUntil(Fill fill, long until) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long pos = 0; pos < until; ) {
            ByteBuffer b = fill.read(pos, 10_000);
            assertThat(b).as("bytes at %d", pos).isNotNull();
            pos += b.remaining();
            out.writeBytes(FillTest.bytes(b));
        }
        return out.toByteArray();
    }

    /** A response's tags that run {@link #onUse} the first time one thread reads them. */
    static final class HookedTags extends AbstractList<String> {
        private final List<String> tags;
        private volatile Thread armed;
        volatile Runnable onUse = () -> { };

        HookedTags(String... tags) {
            this.tags = List.of(tags);
        }

        void armFor(Thread t) {
            armed = t;
        }

        private void used() {
            if (Thread.currentThread().equals(armed)) {
                armed = null;
                onUse.run();
            }
        }

        @Override
        public String get(int index) {
            used();
            return tags.get(index);
        }

        @Override
        public int size() {
            used();
            return tags.size();
        }
    }
}
