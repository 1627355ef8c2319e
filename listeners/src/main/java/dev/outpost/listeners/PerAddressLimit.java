package dev.outpost.listeners;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Concurrent connections per remote address on one listener: a single address (one client,
 * one attacker) cannot take every descriptor of the process. A connection counts until it is
 * closed; closed ones are found lazily (on the next admission from the same address, and by a
 * sweep every few thousand admissions), so the listener needs no close callback, which Undertow
 * keeps for itself. The map holds only addresses with connections, so it is bounded by the
 * connections open. It holds them weakly: a connection closed but not yet found (its address
 * sent nothing since) keeps its slot until then, never its memory (the exchange, buffers and
 * response it was writing when the node cut it off), which the collector takes back at once.
 *
 * @param <C> the connection type (an XNIO {@code StreamConnection}, a {@code Socket})
 */
public final class PerAddressLimit<C> {

    private final int max;
    private final Predicate<C> open;
    private final ConcurrentHashMap<InetAddress, Set<WeakReference<C>>> byAddress = new ConcurrentHashMap<>();
    private final AtomicInteger admissions = new AtomicInteger();
    private final Counter refused;

    /**
     * @param listener the listener's name in meters ({@code client}, {@code admin}, {@code api}, {@code dns-tcp})
     * @param max concurrent connections allowed from one address
     * @param open whether a connection admitted earlier is still open
     */
    public PerAddressLimit(String listener, int max, Predicate<C> open, MeterRegistry registry) {
        this.max = max;
        this.open = open;
        this.refused = Counter.builder("outpost.connections.refused").tag("listener", listener)
                .description("Connections closed at once because their address had too many open").register(registry);
        Gauge.builder("outpost.connections.open", this, PerAddressLimit::openConnections).tag("listener", listener)
                .description("Connections open").register(registry);
    }

    /** Admits the connection unless its address has {@code max} open already (then counts a refusal). */
    public boolean admit(InetAddress address, C connection) {
        if (admissions.incrementAndGet() % 4096 == 0) {
            sweep();
        }
        while (true) {
            Set<WeakReference<C>> mine = byAddress.computeIfAbsent(address, a -> ConcurrentHashMap.newKeySet());
            synchronized (mine) {
                if (byAddress.get(address) != mine) {
                    continue; // swept meanwhile
                }
                mine.removeIf(this::closed);
                if (mine.size() < max) {
                    mine.add(new WeakReference<>(connection));
                    return true;
                }
            }
            refused.increment();
            return false;
        }
    }

    /** Connections admitted and still open. */
    public long openConnections() {
        long n = 0;
        for (Set<WeakReference<C>> s : byAddress.values()) {
            for (WeakReference<C> c : s) {
                if (!closed(c)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** A connection gone (collected) or closed. */
    private boolean closed(WeakReference<C> ref) {
        C c = ref.get();
        return c == null || !open.test(c);
    }

    /** Forgets addresses whose connections have all closed. */
    private void sweep() {
        byAddress.forEach((address, set) -> {
            synchronized (set) {
                set.removeIf(this::closed);
                if (set.isEmpty()) {
                    byAddress.remove(address, set);
                }
            }
        });
    }
}
