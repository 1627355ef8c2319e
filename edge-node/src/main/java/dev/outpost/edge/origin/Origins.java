package dev.outpost.edge.origin;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/**
 * The origin pools of one delivery config version, by name. Built by {@link Pools}; a config
 * change builds a new {@code Origins}, and requests under way finish on the old one.
 */
public final class Origins implements Upstream {

    private final Map<String, OriginPool> pools;

    Origins(Map<String, OriginPool> pools) {
        this.pools = Map.copyOf(pools);
    }

    /** {@link #baseClient(Duration)} with the default idle lifetime of origin connections (2 s). */
    public static OkHttpClient baseClient() {
        return baseClient(Duration.ofSeconds(2));
    }

    /**
     * The HTTP client every pool derives from: pooled keep-alive, no redirects or cache of its
     * own. It retries only what cannot have reached the origin (a pooled connection the server
     * had closed); retrying on another server is the pool's decision.
     *
     * @param idleTimeout an idle pooled connection is closed after this ({@code origin-idle-timeout}):
     *     shorter than the origins' own keep-alive, so the node is the one that closes, never
     *     sending a request on a connection the origin has just closed
     */
    public static OkHttpClient baseClient(Duration idleTimeout) {
        okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
        dispatcher.setMaxRequests(100_000);
        dispatcher.setMaxRequestsPerHost(100_000);
        return new OkHttpClient.Builder()
                .connectionPool(new ConnectionPool(512, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                .dispatcher(dispatcher)
                .retryOnConnectionFailure(true)
                .followRedirects(false)
                .followSslRedirects(false)
                .cache(null)
                .build();
    }

    /** The pool of that name, or null. */
    public OriginPool pool(String name) {
        return pools.get(name);
    }

    @Override
    public UpstreamResponse fetch(UpstreamRequest request) throws UpstreamException {
        OriginPool pool = request.originName() == null ? null : pools.get(request.originName());
        if (pool == null) {
            pool = pools.get("default");
        }
        if (pool == null) {
            throw new UpstreamException(UpstreamException.Kind.NO_SERVER, "no origin named " + request.originName(), null);
        }
        return pool.fetch(request);
    }
}
