package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.cache.Fill;
import dev.outpost.edge.origin.Cancellation;
import dev.outpost.edge.origin.UpstreamException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Request collapsing: the first request for a key that must go upstream becomes the leader
 * and fetches; requests for the same key meanwhile wait for the leader's outcome instead of
 * fetching too. Waiters get the outcome as soon as the response head is in: a storable
 * response is a {@link Fill} they read as it streams, and requests arriving while it still
 * streams join it too.
 */
final class Collapser {

    /** What a leader's fetch came to. */
    sealed interface Outcome permits Filled, Revalidated, Stored, Released, Failed {
    }

    /** Storable: read the body from the fill. */
    record Filled(Fill fill) implements Outcome {
    }

    /** A 304 freshened the stored response; serve it. */
    record Revalidated(CachedResponse response) implements Outcome {
    }

    /** The previous flight had just stored it: look it up again. */
    record Stored() implements Outcome {
    }

    /** Not storable: fetch on your own (the key is now hit-for-pass). */
    record Released() implements Outcome {
    }

    /** Upstream failed: no response ({@code error} set) or an error status that may be hidden by stale-if-error. */
    record Failed(UpstreamException error, int status) implements Outcome {
    }

    /** One fetch under way. */
    static final class Flight {
        private final ArrivalOrder<Outcome> outcome = new ArrivalOrder<>();
        /** The leader found nothing stored (a miss, not a revalidation). */
        volatile boolean miss;
        /** Clients waiting for the outcome, the leader's included; 0 once they all left. */
        private final AtomicInteger wanted = new AtomicInteger(1);
        /** Calls the fetch off when every client left before the outcome landed. */
        final Cancellation cancellation = new Cancellation();

        /**
         * Counts one more client waiting; false when they all left before the outcome and the
         * fetch is being called off. Once the outcome landed (a fill streaming in for the cache)
         * the flight is joined whoever left.
         */
        boolean join() {
            while (true) {
                int w = wanted.get();
                if (w <= 0 && !outcome.isSet()) {
                    return false;
                }
                if (wanted.compareAndSet(w, w + 1)) {
                    return true;
                }
            }
        }

        /**
         * A waiting client left; when it was the last and no outcome has landed the fetch is
         * called off (true). Once the outcome landed, what follows is the cache's (a fill keeps
         * filling) or the leader's relay, and leaving changes nothing here.
         */
        boolean leave() {
            return wanted.decrementAndGet() == 0 && !outcome.isSet() && cancellation.cancel();
        }

        /** Every client left before the outcome: not to be joined. */
        boolean abandoned() {
            return wanted.get() <= 0 && !outcome.isSet();
        }

        /**
         * Calls {@code action} with the outcome when it lands (at once if it has), on the landing
         * thread; waiters are called in the order they registered.
         */
        void onOutcome(Consumer<Outcome> action) {
            outcome.whenSet(action);
        }

        /**
         * The fill this flight published once its body is whole, while it may still be storing
         * it; null before that. A request arriving then came after the response, so it is
         * answered from the cache once the store is done, not as a collapsed waiter.
         */
        Fill finishedFill() {
            return outcome.now() instanceof Filled filled && filled.fill().finalLength() >= 0 ? filled.fill() : null;
        }

        /** Whether the flight published a fill that has since ended, or that a purge overtook. */
        boolean fillEnded() {
            return outcome.now() instanceof Filled filled && (filled.fill().ended() || filled.fill().invalidated());
        }

        Outcome await(long timeoutMillis) {
            try {
                Outcome o = outcome.await(timeoutMillis);
                return o != null ? o : new Released();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Released();
            }
        }
    }

    /**
     * A first request looking a key up (memory missed, the disk not yet read) that requests
     * arriving meanwhile wait on without a thread: it resolves to the flight that request went
     * on to lead or join, or to null when it needed none (a disk hit, a pass, an error).
     */
    static final class Lookup {
        private final ArrivalOrder<Optional<Flight>> resolved = new ArrivalOrder<>();

        /**
         * Calls {@code action} with the flight (or null) once the lookup resolves, on the
         * resolving thread; waiters are called in the order they registered.
         */
        void onResolved(Consumer<Flight> action) {
            resolved.whenSet(f -> action.accept(f.orElse(null)));
        }
    }

    /** What {@link #lookupOrJoin} gave: the caller's own lookup to resolve, or another's to wait on. */
    record LookupTurn(Lookup lookup, boolean own) {
    }

    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Lookup> lookups = new ConcurrentHashMap<>();

    /** Opens a lookup of {@code key}, or joins the one under way. */
    LookupTurn lookupOrJoin(String key) {
        Lookup mine = new Lookup();
        Lookup existing = lookups.putIfAbsent(key, mine);
        return existing == null ? new LookupTurn(mine, true) : new LookupTurn(existing, false);
    }

    /** The owner's lookup came to {@code flight} (or to none); its waiters go on from there. Idempotent. */
    void resolve(String key, Lookup lookup, Flight flight) {
        if (lookup != null && !lookup.resolved.isSet()) {
            lookups.remove(key, lookup);
            lookup.resolved.set(Optional.ofNullable(flight));
        }
    }

    /** A new flight if the caller is the leader, else null and the existing one in {@code joined}. */
    Flight lead(String key, Flight[] joined) {
        Flight mine = new Flight();
        while (true) {
            Flight existing = flights.putIfAbsent(key, mine);
            if (existing == null) {
                return mine;
            }
            if (existing.fillEnded() || !existing.join()) {
                // its fill is stored, failed or purged: look-ups see the result, so this is a new
                // fetch; or every client of it left and it is being called off
                flights.remove(key, existing);
                continue;
            }
            joined[0] = existing;
            return null;
        }
    }

    /**
     * The leader publishes its outcome. A fill stays joinable while it streams in (requests
     * arriving after the head read the body from it rather than fetching again) until
     * {@link #fillEnded}; any other outcome lets later requests start a new flight at once.
     */
    void land(String key, Flight flight, Outcome outcome) {
        flight.outcome.set(outcome);
        if (!(outcome instanceof Filled filled) || filled.fill().ended()) {
            flights.remove(key, flight);
        }
    }

    /** The fill a flight published has ended: later requests look the key up again. */
    void fillEnded(String key, Flight flight) {
        flights.remove(key, flight);
    }

    /**
     * The flight a request for {@code key} can join without looking in the cache first: a miss
     * being fetched whose body is not yet whole. Null otherwise.
     */
    Flight joinableMiss(String key) {
        Flight f = flights.get(key);
        return f != null && f.miss && !f.fillEnded() && f.finishedFill() == null && f.join() ? f : null;
    }

    boolean inFlight(String key) {
        return flights.containsKey(key);
    }
}
