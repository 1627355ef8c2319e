package dev.outpost.edge.shield;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.OriginConfig;
import dev.outpost.edge.origin.OriginPool;
import dev.outpost.edge.origin.Origins;
import dev.outpost.edge.origin.Pools;
import dev.outpost.edge.origin.Upstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;

/**
 * What a node sends its misses to, per config version: the origin pools, or, for a node given
 * shields ({@code --shield URL}, repeatable), the shield tier in front of them. The node
 * builds one {@code Upstreams} at start, calls {@link #compile} for each config version,
 * {@link #start} once its listeners are up and {@link #close} when it stops.
 *
 * <p>Shields are checked like origin servers but with fixed settings: a check every
 * {@link #SHIELD_CHECK_INTERVAL} at {@link HealthProbe#PATH}, which the shield answers outside
 * its traffic statistics (any answer from the node passes, so a shield of an older version,
 * which serves that path as a request, still counts as up; no connection, a
 * timeout or a 503 no cache answered fails; down after 2 failures, up after 2 passes), and a
 * shield that refuses 2 requests in a row is ejected for 5s, doubling up to 1 minute.
 *
 * <p>A node with shields does not health-check the origin servers itself: with many edges that
 * would put every edge's checks on the origin the shields are there to protect. Its direct
 * origin fetches (fallback) still eject failing servers passively.
 */
public final class Upstreams implements AutoCloseable {

    /** How often each shield is checked. */
    public static final Duration SHIELD_CHECK_INTERVAL = Duration.ofSeconds(2);
    static final String SHIELD_POOL = "shield";

    private final NodeConfig node;
    private final Pools pools;
    private final Counter fallbacks;

    public Upstreams(NodeConfig node, OkHttpClient base, InstantSource clock, MeterRegistry registry) {
        this.node = node;
        this.pools = new Pools(base, clock, registry,
                (int) Math.min(Integer.MAX_VALUE, node.limits().maxHeaderBytes().bytes()));
        this.fallbacks = Counter.builder("outpost.shield.fallbacks")
                .description("Requests sent straight to the origin because no shield could take them")
                .register(registry);
    }

    /** The upstream of one delivery config version. */
    public synchronized Upstream compile(DeliveryConfig d) {
        if (node.shield().isEmpty()) {
            return pools.origins(d);
        }
        Origins origins = pools.origins(withoutHealthChecks(d));
        OriginPool shields = pools.shields(shieldPool(node.shield(), d));
        return new ShieldTier(shields, origins, node.originFallback(), fallbacks);
    }

    /** The pools, for tests and tools that look at server state. */
    public Pools pools() {
        return pools;
    }

    /** Starts active health checks. */
    public void start() {
        pools.start();
    }

    @Override
    public void close() {
        pools.close();
    }

    /**
     * The shield tier as a pool: rendezvous hashing on the cache key, a failed connection
     * tried on every next shield in the ranking, and reads allowed as long as the slowest
     * origin's read timeout plus a margin (a shield waits on its origin before it answers).
     */
    static OriginConfig shieldPool(List<String> urls, DeliveryConfig d) {
        List<OriginConfig.Server> servers = new ArrayList<>();
        for (String u : urls) {
            servers.add(new OriginConfig.Server(u, 1, 0));
        }
        Duration read = Duration.ofSeconds(30);
        for (OriginConfig o : d.origins()) {
            if (o.readTimeout().compareTo(read) > 0) {
                read = o.readTimeout();
            }
        }
        return new OriginConfig(SHIELD_POOL, servers, OriginConfig.Algorithm.CONSISTENT_HASH, OriginConfig.HashOn.CACHE_KEY,
                null, null, Duration.ofSeconds(2), read.plusSeconds(5), Duration.ZERO,
                new OriginConfig.HealthCheck(HealthProbe.PATH, 200, SHIELD_CHECK_INTERVAL, Duration.ofSeconds(2), 2, 2),
                new OriginConfig.Ejection(2, 0.5, 20, Duration.ofSeconds(5), Duration.ofMinutes(1), true),
                new OriginConfig.Retry(Math.max(0, servers.size() - 1), 1.0));
    }

    private static DeliveryConfig withoutHealthChecks(DeliveryConfig d) {
        List<OriginConfig> origins = new ArrayList<>();
        for (OriginConfig o : d.origins()) {
            origins.add(new OriginConfig(o.name(), o.servers(), o.algorithm(), o.hashOn(), o.hostHeader(), o.sni(),
                    o.connectTimeout(), o.readTimeout(), o.totalTimeout(), null, o.ejection(), o.retry()));
        }
        return new DeliveryConfig(d.hosts(), d.unknownHostStatus(), origins, d.rules(), d.defaultRule());
    }
}
