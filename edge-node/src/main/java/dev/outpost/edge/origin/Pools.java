package dev.outpost.edge.origin;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.OriginConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's server pools across config versions. Each config version gets new {@link Origins}
 * (and a new shield pool), but a server that stays in its pool keeps its state: health,
 * ejection, connections in flight and meters. Servers that leave have their meters removed.
 *
 * <p>Active health checks run from one ticker: every {@link #TICK} it starts the checks whose
 * interval has passed on the node's clock. Tests on a manual clock advance the clock and wait
 * for the check to land; {@link #runHealthChecks()} starts due checks at once.
 *
 * <p>Start reading at {@link #origins(DeliveryConfig)}; the work per request is in
 * {@link OriginPool#fetch}.
 */
public final class Pools implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pools.class);

    /** How often the health-check ticker looks for due checks. */
    public static final Duration TICK = Duration.ofMillis(100);
    private static final int DEFAULT_MAX_INTERIM_HEAD = 32 * 1024;

    private final OkHttpClient base;
    private final InstantSource clock;
    private final MeterRegistry registry;
    private final Map<PoolKind, Map<String, Server>> servers = new HashMap<>();
    private final Map<PoolKind, List<OriginPool>> current = new HashMap<>();
    private final ConnectionGuard guard;
    private final InterimSockets.Counts interims;
    private ScheduledExecutorService ticker;

    /** Pools whose interim response heads may be as large as the default request head limit (32 KiB). */
    public Pools(OkHttpClient base, InstantSource clock, MeterRegistry registry) {
        this(base, clock, registry, DEFAULT_MAX_INTERIM_HEAD);
    }

    /**
     * @param maxInterimHead a 1xx interim response head larger than this is dropped (the node's
     *     {@code limits.max-header-bytes})
     */
    public Pools(OkHttpClient base, InstantSource clock, MeterRegistry registry, int maxInterimHead) {
        this.interims = new InterimSockets.Counts(registry);
        // once per node: every pool's client shares these socket factories, so connections are
        // pooled across config versions as before
        this.base = InterimSockets.install(base, interims, maxInterimHead);
        this.clock = clock;
        this.registry = registry;
        this.guard = new ConnectionGuard(registry);
        for (PoolKind k : PoolKind.values()) {
            servers.put(k, new HashMap<>());
            current.put(k, List.of());
        }
    }

    /** The origin pools of a config version; they replace the previous version's for health checks. */
    public synchronized Origins origins(DeliveryConfig d) {
        Map<String, OriginPool> pools = new LinkedHashMap<>();
        List<OriginPool> list = new ArrayList<>();
        for (OriginConfig o : d.origins()) {
            OriginPool p = build(o, PoolKind.ORIGIN);
            pools.put(o.name(), p);
            list.add(p);
        }
        replace(PoolKind.ORIGIN, list);
        return new Origins(pools);
    }

    /**
     * The shield tier as a pool: servers are the shields, consistent hashing on the cache key
     * is rendezvous hashing over them. Replaces the previous shield pool; an empty server list
     * means none.
     */
    public synchronized OriginPool shields(OriginConfig shields) {
        if (shields.servers().isEmpty()) {
            replace(PoolKind.SHIELD, List.of());
            return null;
        }
        OriginPool p = build(shields, PoolKind.SHIELD);
        replace(PoolKind.SHIELD, List.of(p));
        return p;
    }

    private OriginPool build(OriginConfig o, PoolKind kind) {
        Map<String, Server> states = new HashMap<>();
        Map<String, Server> all = servers.get(kind);
        for (OriginConfig.Server s : o.servers()) {
            String label = OriginPool.label(okhttp3.HttpUrl.get(s.url()));
            String key = o.name() + "|" + label;
            Server state = all.computeIfAbsent(key, k -> new Server(k, label, kind, o.name(), clock, registry));
            if (o.healthCheck() == null) {
                state.checksOff();
            } else {
                state.checksOn();
            }
            states.put(label, state);
        }
        Counter panics = kind != PoolKind.ORIGIN ? null : Counter.builder("outpost.origin.panic").tag("origin", o.name())
                .description("Requests sent to every server of an origin because none was up (panic mode)")
                .register(registry);
        return new OriginPool(o, kind, base, clock, states, panics, guard, interims);
    }

    /** Makes these pools the current ones of their kind; servers no longer in any of them are dropped. */
    private void replace(PoolKind kind, List<OriginPool> pools) {
        java.util.Set<String> keep = new java.util.HashSet<>();
        for (OriginPool p : pools) {
            for (OriginPool.Member m : p.members()) {
                keep.add(m.server().key);
            }
        }
        servers.get(kind).entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) {
                return false;
            }
            e.getValue().unregister();
            return true;
        });
        current.put(kind, List.copyOf(pools));
    }

    /** Starts the checks that are due now, in every current pool. */
    public void runHealthChecks() {
        List<OriginPool> pools = new ArrayList<>();
        synchronized (this) {
            current.values().forEach(pools::addAll);
        }
        for (OriginPool p : pools) {
            try {
                p.runDueChecks();
            } catch (RuntimeException e) {
                LOG.warn("health checks of {} failed to start: {}", p.config().name(), e.toString());
            }
        }
    }

    /** Starts the health-check ticker (a daemon thread). */
    public synchronized void start() {
        if (ticker != null) {
            return;
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "health-checks");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::runHealthChecks, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the ticker; checks under way finish on their own. */
    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
            ticker = null;
        }
    }
}
