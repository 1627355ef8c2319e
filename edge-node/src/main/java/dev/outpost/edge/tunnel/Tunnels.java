package dev.outpost.edge.tunnel;

import dev.outpost.config.HttpLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import okio.Socket;
import org.xnio.StreamConnection;

/**
 * The node's tunnels. A tunnel holds two connections and two virtual threads for as long as
 * its ends want, so each one is reserved before the origin handshake, against
 * {@code limits.max-tunnels-per-client} (per client address) and {@code limits.max-tunnels}
 * (per node); a reservation that did not become a tunnel is released. Once open, a tunnel
 * that carried no byte either way for its idle timeout is closed at both ends: a tick every
 * {@link #TICK} compares each tunnel's last activity with the node's clock, so tests advance a
 * clock instead of waiting.
 *
 * <p>Meters: {@code outpost_tunnels_open}, {@code outpost_tunnel_bytes_total{direction}}
 * ({@code to-origin}, {@code to-client}), {@code outpost_tunnel_closes_total{reason}},
 * {@code outpost_tunnels_refused_total{reason}}.
 */
public final class Tunnels implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Tunnels.class);

    /** How often tunnels are checked for idleness. */
    static final Duration TICK = Duration.ofMillis(200);

    /** Why a tunnel was refused, as {@code outpost_tunnels_refused_total{reason}} names it. */
    public enum Refusal {
        /** {@code limits.max-tunnels-per-client} reached: 429. */
        CLIENT_LIMIT,
        /** {@code limits.max-tunnels} reached: 503. */
        NODE_LIMIT,
        /** the rule says {@code websocket: deny}: 403. */
        DENIED,
        /** an upgrade token no rule allows: 501. */
        UNSUPPORTED,
        /** the origin answered the handshake without a 101: its answer is relayed. */
        ORIGIN_DECLINED,
        /** the client's connection closed before its 101 was written: the origin's connection is let go. */
        CLIENT_GONE;

        final String label = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private final HttpLimits limits;
    private final InstantSource clock;
    private final Buffers buffers = new Buffers();
    private final Meters meters;
    private final Map<Refusal, Counter> refused = new java.util.EnumMap<>(Refusal.class);
    private final AtomicInteger reserved = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final Set<Tunnel> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker;

    public Tunnels(HttpLimits limits, InstantSource clock, MeterRegistry registry) {
        this.limits = limits;
        this.clock = clock;
        this.meters = new Meters(registry);
        for (Refusal r : Refusal.values()) {
            refused.put(r, Counter.builder("outpost.tunnels.refused").tag("reason", r.label)
                    .description("Upgrade requests that did not become tunnels").register(registry));
        }
        Gauge.builder("outpost.tunnels.open", open, Set::size).description("Tunnels open (WebSocket and other upgrades)")
                .register(registry);
        this.ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("tunnel-idle").daemon().factory());
        ticker.scheduleWithFixedDelay(this::closeIdle, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A tunnel's place, taken before the origin handshake; released unless it is opened. */
    public final class Slot {
        private final String client;
        private final AtomicBoolean released = new AtomicBoolean();

        private Slot(String client) {
            this.client = client;
        }

        /** The handshake did not end in a tunnel. */
        public void release() {
            if (released.compareAndSet(false, true)) {
                reserved.decrementAndGet();
                perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
        }

        /**
         * Joins the client's connection (switched, its 101 sent) to the origin's and starts
         * copying; {@code onEnd} is told once how the tunnel ended, after both sides are closed.
         */
        public void open(StreamConnection clientConnection, Socket origin, Duration idleTimeout,
                         Consumer<Summary> onEnd) {
            Tunnel t = new Tunnel(clientConnection, origin, clock, idleTimeout.toMillis(), buffers, meters,
                    tunnel -> {
                        open.remove(tunnel);
                        release();
                    },
                    onEnd);
            open.add(t);
            t.start();
        }
    }

    /**
     * How a tunnel ended.
     *
     * @param reason {@code client-closed}, {@code origin-closed}, {@code client-error},
     *     {@code origin-error}, {@code idle} or {@code shutdown}
     * @param toOrigin bytes copied from the client to the origin
     * @param toClient bytes copied from the origin to the client
     * @param durationNanos from the 101 to the close
     */
    public record Summary(String reason, long toOrigin, long toClient, long durationNanos) {
    }

    /** A limit was reached: no slot (counted). */
    public static final class LimitReached extends Exception {
        private final Refusal refusal;

        LimitReached(Refusal refusal) {
            super(refusal.label, null, false, false);
            this.refusal = refusal;
        }

        /** {@link Refusal#CLIENT_LIMIT} or {@link Refusal#NODE_LIMIT}. */
        public Refusal refusal() {
            return refusal;
        }
    }

    /** A slot for a tunnel from {@code client}. */
    public Slot reserve(String client) throws LimitReached {
        if (reserved.incrementAndGet() > limits.maxTunnels()) {
            reserved.decrementAndGet();
            refused(Refusal.NODE_LIMIT);
            throw new LimitReached(Refusal.NODE_LIMIT);
        }
        int[] mine = new int[1];
        perClient.compute(client, (k, n) -> {
            AtomicInteger v = n == null ? new AtomicInteger() : n;
            mine[0] = v.incrementAndGet();
            return v;
        });
        if (mine[0] > limits.maxTunnelsPerClient()) {
            new Slot(client).release();
            refused(Refusal.CLIENT_LIMIT);
            throw new LimitReached(Refusal.CLIENT_LIMIT);
        }
        return new Slot(client);
    }

    /** Counts an upgrade request that did not become a tunnel. */
    public void refused(Refusal why) {
        java.util.Objects.requireNonNull(refused.get(why)).increment();
    }

    /** Tunnels open now. */
    public int openCount() {
        return open.size();
    }

    private void closeIdle() {
        try {
            long now = clock.millis();
            for (Tunnel t : open) {
                if (t.idle(now)) {
                    t.close("idle");
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("closing idle tunnels failed", e); // the next tick tries again: a thrown tick would stop them all
        }
    }

    /** Closes every tunnel (the node is stopping). */
    @Override
    public void close() {
        ticker.shutdownNow();
        for (Tunnel t : open) {
            t.close("shutdown");
        }
    }

    /** The byte and close counters every tunnel adds to. */
    static final class Meters {
        private final Counter toOrigin;
        private final Counter toClient;
        private final MeterRegistry registry;
        private final Map<String, Counter> closes = new ConcurrentHashMap<>();

        Meters(MeterRegistry registry) {
            this.registry = registry;
            this.toOrigin = Counter.builder("outpost.tunnel.bytes").tag("direction", "to-origin")
                    .description("Bytes copied through tunnels").register(registry);
            this.toClient = Counter.builder("outpost.tunnel.bytes").tag("direction", "to-client")
                    .description("Bytes copied through tunnels").register(registry);
            for (String r : new String[] {"client-closed", "origin-closed", "client-error", "origin-error", "idle",
                "shutdown"}) {
                closed(r, 0);
            }
        }

        void toOrigin(long n) {
            toOrigin.increment(n);
        }

        void toClient(long n) {
            toClient.increment(n);
        }

        void closed(String reason) {
            closed(reason, 1);
        }

        private void closed(String reason, int n) {
            closes.computeIfAbsent(reason, r -> Counter.builder("outpost.tunnel.closes").tag("reason", r)
                    .description("Tunnels closed, by reason").register(registry)).increment(n);
        }
    }
}
