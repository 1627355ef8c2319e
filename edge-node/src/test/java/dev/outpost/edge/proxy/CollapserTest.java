package dev.outpost.edge.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.config.CacheSettings;
import dev.outpost.config.DataSize;
import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.cache.Fill;
import dev.outpost.edge.cache.TieredCache;
import dev.outpost.edge.origin.UpstreamException;
import dev.outpost.testing.Await;
import dev.outpost.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Collapser} on its own: one leader per key, every other request for the key joins the
 * leader's flight and gets the outcome it lands, first come first served; an outcome other than a
 * fill ends the flight at once, a fill keeps it joinable while its body streams and no longer once
 * the body is whole, ended or overtaken by a purge; the fetch is called off only when every client
 * (the leader's included) left before the outcome, and a flight being called off is never joined;
 * a lookup under way is waited on by the requests arriving meanwhile and resolves them all. No
 * entry outlives its flight or lookup.
 */
class CollapserTest {

    private static final String KEY = "h/a";

    @TempDir
    Path dir;

    /** Opened by the tests that need a fill. */
    private TieredCache cache;
    private final Collapser collapser = new Collapser();

    @AfterEach
    void close() {
        if (cache != null) {
            cache.close();
        }
    }

    private TieredCache cache() throws IOException {
        if (cache == null) {
            CacheSettings settings = new CacheSettings(DataSize.ofMebibytes(1), DataSize.ofKibibytes(4),
                    DataSize.ofMebibytes(16), DataSize.ofKibibytes(64), DataSize.ofBytes(64), null, null, null, null,
                    null, null);
            cache = TieredCache.open(settings, dir, new ManualClock(), new SimpleMeterRegistry());
        }
        return cache;
    }

    // ---- leader and waiters ----

    @Test
    void theFirstRequestForAKeyLeadsAndTheOthersJoinItsFlight() {
        Collapser.Flight[] joined = new Collapser.Flight[1];
        Collapser.Flight leader = collapser.lead(KEY, joined);
        assertThat(leader).isNotNull();
        assertThat(joined[0]).isNull();
        assertThat(collapser.inFlight(KEY)).isTrue();

        assertThat(collapser.lead(KEY, joined)).as("a second request waits").isNull();
        assertThat(joined[0]).isSameAs(leader);

        Collapser.Flight[] other = new Collapser.Flight[1];
        Collapser.Flight otherLeader = collapser.lead("h/b", other);
        assertThat(otherLeader).as("another key has its own leader").isNotNull().isNotSameAs(leader);
        assertThat(other[0]).isNull();
    }

    @Test
    void requestsArrivingTogetherElectExactlyOneLeader() throws Exception {
        int n = 32;
        CyclicBarrier start = new CyclicBarrier(n);
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<Collapser.Flight[]>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(pool.submit(() -> {
                    Collapser.Flight[] joined = new Collapser.Flight[1];
                    start.await(10, TimeUnit.SECONDS);
                    Collapser.Flight led = collapser.lead(KEY, joined);
                    return new Collapser.Flight[] {led, joined[0]};
                }));
            }
            List<Collapser.Flight> leaders = new ArrayList<>();
            Set<Collapser.Flight> flights = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Future<Collapser.Flight[]> r : results) {
                Collapser.Flight[] got = r.get(10, TimeUnit.SECONDS);
                if (got[0] != null) {
                    leaders.add(got[0]);
                    assertThat(got[1]).isNull();
                }
                flights.add(got[0] != null ? got[0] : got[1]);
            }
            assertThat(leaders).hasSize(1);
            assertThat(flights).as("every request on the leader's flight").containsExactly(leaders.get(0));
        }
    }

    @Test
    void waitersGetTheOutcomeFirstComeFirstServedWhenItLands() {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        List<String> answered = new ArrayList<>();
        List<Collapser.Outcome> seen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Collapser.Flight[] joined = new Collapser.Flight[1];
            assertThat(collapser.lead(KEY, joined)).isNull();
            String name = "waiter " + i;
            joined[0].onOutcome(o -> {
                answered.add(name);
                seen.add(o);
            });
        }
        assertThat(answered).as("nothing before the outcome").isEmpty();

        Collapser.Outcome outcome = new Collapser.Released();
        collapser.land(KEY, flight, outcome);
        assertThat(answered).containsExactly("waiter 0", "waiter 1", "waiter 2", "waiter 3", "waiter 4");
        assertThat(seen).allSatisfy(o -> assertThat(o).isSameAs(outcome));

        List<Collapser.Outcome> late = new ArrayList<>();
        flight.onOutcome(late::add);
        assertThat(late).as("a waiter registering after the landing is answered at once").containsExactly(outcome);
    }

    @Test
    void aWaiterBlockedOnTheFlightGetsTheOutcomeAndOneThatTimesOutFetchesOnItsOwn() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        Collapser.Flight[] joined = new Collapser.Flight[1];
        assertThat(collapser.lead(KEY, joined)).isNull();
        assertThat(joined[0].await(1)).as("no outcome in time: go on as if released")
                .isInstanceOf(Collapser.Released.class);

        FutureTask<Collapser.Outcome> waiting = new FutureTask<>(() -> joined[0].await(60_000));
        Thread t = Thread.ofPlatform().name("waiter").daemon().start(waiting);
        Await.until("the waiter blocks", Duration.ofSeconds(5),
                () -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING);
        Collapser.Outcome outcome = new Collapser.Failed(null, 503);
        collapser.land(KEY, flight, outcome);
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isSameAs(outcome);
    }

    static Stream<Collapser.Outcome> outcomesThatAreNotAFill() {
        CachedResponse stored = new CachedResponse(KEY, 200, new String[0], new String[0], 0, 0, 0, 60_000, 0, 0, 0, 0,
                0, 64, List.of(), List.of(), 0);
        return Stream.of(new Collapser.Stored(), new Collapser.Released(), new Collapser.Failed(null, 503),
                new Collapser.Failed(new UpstreamException(UpstreamException.Kind.CONNECT, "origin down", null), 0),
                new Collapser.Revalidated(stored));
    }

    @ParameterizedTest
    @MethodSource("outcomesThatAreNotAFill")
    void anOutcomeOtherThanAFillEndsTheFlightWhenItLands(Collapser.Outcome outcome) {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        Collapser.Flight[] joined = new Collapser.Flight[1];
        assertThat(collapser.lead(KEY, joined)).isNull();
        List<Collapser.Outcome> seen = new ArrayList<>();
        joined[0].onOutcome(seen::add);

        collapser.land(KEY, flight, outcome);
        assertThat(seen).containsExactly(outcome);
        assertThat(collapser.inFlight(KEY)).as("nothing left behind").isFalse();
        assertThat(collapser.joinableMiss(KEY)).isNull();
        Collapser.Flight next = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(next).as("the next request leads a new flight").isNotNull().isNotSameAs(flight);
    }

    // ---- a fill streaming in ----

    @Test
    void aStreamingFillIsJoinedUntilItsBodyIsWholeAndLookedUpAgainOnceItEnded() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        flight.miss = true;
        assertThat(collapser.joinableMiss(KEY)).as("no outcome yet: still joinable").isSameAs(flight);
        Fill fill = fill(KEY, 100);
        Collapser.Filled filled = new Collapser.Filled(fill);
        collapser.land(KEY, flight, filled);

        assertThat(collapser.inFlight(KEY)).as("a streaming fill stays joinable").isTrue();
        assertThat(collapser.joinableMiss(KEY)).isSameAs(flight);
        Collapser.Flight[] joined = new Collapser.Flight[1];
        assertThat(collapser.lead(KEY, joined)).isNull();
        assertThat(joined[0]).isSameAs(flight);
        List<Collapser.Outcome> seen = new ArrayList<>();
        joined[0].onOutcome(seen::add);
        assertThat(seen).as("a late joiner reads the same fill").containsExactly(filled);
        assertThat(flight.finishedFill()).isNull();

        fill.append(new byte[100], 0, 100);
        assertThat(fill.finishBody()).isTrue();
        assertThat(flight.finishedFill()).as("whole: later requests are answered as stored").isSameAs(fill);
        assertThat(collapser.joinableMiss(KEY)).isNull();
        assertThat(flight.fillEnded()).isFalse();

        fill.complete();
        assertThat(flight.fillEnded()).isTrue();
        Collapser.Flight next = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(next).as("an ended fill is not joined: the cache has the result").isNotNull()
                .isNotSameAs(flight);
    }

    @Test
    void theFillEndingRemovesTheFlight() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        collapser.land(KEY, flight, new Collapser.Filled(fill(KEY, 10)));
        assertThat(collapser.inFlight(KEY)).isTrue();
        collapser.fillEnded(KEY, flight);
        assertThat(collapser.inFlight(KEY)).isFalse();
    }

    @Test
    void aFillThatHadEndedWhenItLandedEndsTheFlightAtOnce() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        Fill fill = fill(KEY, 10);
        fill.fail(new IOException("reset"));
        collapser.land(KEY, flight, new Collapser.Filled(fill));
        assertThat(collapser.inFlight(KEY)).isFalse();
    }

    @Test
    void aFillAPurgeOvertookIsNotJoined() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        flight.miss = true;
        Fill fill = fill(KEY, 100);
        collapser.land(KEY, flight, new Collapser.Filled(fill));
        assertThat(collapser.joinableMiss(KEY)).isSameAs(flight);

        cache().purgeUrlKeys(List.of(KEY), false);
        assertThat(fill.invalidated()).isTrue();
        assertThat(flight.fillEnded()).isTrue();
        assertThat(collapser.joinableMiss(KEY)).isNull();
        Collapser.Flight next = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(next).as("a new fetch, whose response the purge does not cover").isNotNull().isNotSameAs(flight);
    }

    @Test
    void onlyAMissIsJoinedWithoutLookingInTheCacheFirst() {
        assertThat(collapser.joinableMiss(KEY)).as("nothing in flight").isNull();
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(collapser.joinableMiss(KEY)).as("a revalidation: the request judges the stored entry itself")
                .isNull();
        flight.miss = true;
        assertThat(collapser.joinableMiss(KEY)).isSameAs(flight);
    }

    // ---- clients leaving ----

    @Test
    void theFetchIsCalledOffOnlyWhenEveryClientLeftBeforeTheOutcome() {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        flight.miss = true;
        Collapser.Flight[] joined = new Collapser.Flight[1];
        assertThat(collapser.lead(KEY, joined)).isNull();
        assertThat(collapser.joinableMiss(KEY)).isSameAs(flight); // a third client

        assertThat(flight.leave()).isFalse();
        assertThat(flight.leave()).isFalse();
        assertThat(flight.cancellation.cancelled()).as("one client still waits").isFalse();
        assertThat(flight.abandoned()).isFalse();

        flight.leave(); // the last one (no call had started, so nothing was cut: the result is false)
        assertThat(flight.cancellation.cancelled()).isTrue();
        assertThat(flight.abandoned()).isTrue();
        assertThat(flight.join()).as("a flight being called off is not joined").isFalse();
        assertThat(collapser.joinableMiss(KEY)).isNull();
        Collapser.Flight next = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(next).as("the next request fetches anew").isNotNull().isNotSameAs(flight);
        assertThat(next.cancellation.cancelled()).isFalse();
    }

    @Test
    void aClientJoiningBeforeTheLastLeavesKeepsTheFetch() {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(flight.join()).isTrue();
        assertThat(flight.leave()).isFalse();
        assertThat(flight.cancellation.cancelled()).isFalse();
        Collapser.Flight[] joined = new Collapser.Flight[1];
        assertThat(collapser.lead(KEY, joined)).isNull();
        assertThat(joined[0]).isSameAs(flight);
    }

    @Test
    void leavingAfterTheOutcomeLandedCallsNothingOff() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        assertThat(flight.join()).isTrue();
        collapser.land(KEY, flight, new Collapser.Filled(fill(KEY, 100)));
        assertThat(flight.leave()).isFalse();
        assertThat(flight.leave()).isFalse();
        assertThat(flight.cancellation.cancelled()).as("the rest of the body is the cache's").isFalse();
    }

    @Test
    void aStreamingFillWhoseClientsAllLeftIsStillJoined() throws Exception {
        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        flight.miss = true;
        Fill fill = fill(KEY, 100);
        collapser.land(KEY, flight, new Collapser.Filled(fill));
        flight.leave(); // the leader's client left after the head; the fill goes on for the cache
        assertThat(fill.ended()).isFalse();

        Collapser.Flight[] joined = new Collapser.Flight[1];
        assertThat(collapser.lead(KEY, joined)).as("the fill is still streaming: join it").isNull();
        assertThat(joined[0]).isSameAs(flight);
    }

    @Test
    void aJoinRacingTheLastLeaveEitherKeepsTheFetchOrIsRefused() throws Exception {
        for (int i = 0; i < 500; i++) {
            String key = KEY + i;
            Collapser.Flight flight = collapser.lead(key, new Collapser.Flight[1]);
            CyclicBarrier start = new CyclicBarrier(2);
            FutureTask<Boolean> joining = new FutureTask<>(() -> {
                start.await(10, TimeUnit.SECONDS);
                return flight.join();
            });
            Thread.ofPlatform().daemon().start(joining);
            start.await(10, TimeUnit.SECONDS);
            flight.leave();
            boolean joined = joining.get(10, TimeUnit.SECONDS);
            if (joined) {
                assertThat(flight.cancellation.cancelled()).as("joined in time: the fetch goes on").isFalse();
                assertThat(flight.abandoned()).isFalse();
            } else {
                assertThat(flight.cancellation.cancelled()).as("refused: the fetch is called off").isTrue();
            }
        }
    }

    // ---- lookups under way ----

    @Test
    void requestsArrivingDuringALookupWaitOnItAndAllGetWhereItWent() {
        Collapser.LookupTurn first = collapser.lookupOrJoin(KEY);
        assertThat(first.own()).isTrue();
        List<String> answered = new ArrayList<>();
        List<Collapser.Flight> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Collapser.LookupTurn turn = collapser.lookupOrJoin(KEY);
            assertThat(turn.own()).isFalse();
            assertThat(turn.lookup()).isSameAs(first.lookup());
            String name = "request " + i;
            turn.lookup().onResolved(f -> {
                answered.add(name);
                seen.add(f);
            });
        }
        assertThat(answered).isEmpty();

        Collapser.Flight flight = collapser.lead(KEY, new Collapser.Flight[1]);
        collapser.resolve(KEY, first.lookup(), flight);
        assertThat(answered).containsExactly("request 0", "request 1", "request 2");
        assertThat(seen).containsOnly(flight);

        collapser.resolve(KEY, first.lookup(), null); // idempotent
        List<Collapser.Flight> late = new ArrayList<>();
        first.lookup().onResolved(late::add);
        assertThat(late).containsExactly(flight);

        Collapser.LookupTurn next = collapser.lookupOrJoin(KEY);
        assertThat(next.own()).as("a resolved lookup is not waited on").isTrue();
        assertThat(next.lookup()).isNotSameAs(first.lookup());
    }

    @Test
    void aLookupThatNeededNoFetchSendsItsWaitersOnTheirOwnWay() {
        Collapser.LookupTurn first = collapser.lookupOrJoin(KEY);
        Collapser.LookupTurn second = collapser.lookupOrJoin(KEY);
        List<Object> seen = new ArrayList<>();
        second.lookup().onResolved(f -> seen.add(f == null ? "none" : f));
        collapser.resolve(KEY, first.lookup(), null);
        assertThat(seen).containsExactly("none");
        assertThat(collapser.lookupOrJoin(KEY).own()).isTrue();
    }

    // ---- helpers ----

    private Fill fill(String key, long length) throws IOException {
        CachedResponse head = new CachedResponse(key, 200, new String[0], new String[0], 0, 0, 0, 60_000, 0, 0, 0,
                length, 0, 0, List.of(), List.of(), 0);
        Fill fill = cache().beginFill(head, length);
        assertThat(fill).isNotNull();
        return fill;
    }
}
