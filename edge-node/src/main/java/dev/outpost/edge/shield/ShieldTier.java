package dev.outpost.edge.shield;

import org.jspecify.annotations.Nullable;
import dev.outpost.edge.origin.OriginPool;
import dev.outpost.edge.origin.PoolKind;
import dev.outpost.edge.origin.Upstream;
import dev.outpost.edge.origin.UpstreamException;
import dev.outpost.edge.origin.UpstreamRequest;
import dev.outpost.edge.origin.UpstreamResponse;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An edge's upstream when it has shields: each request goes to the shield ranked first for its
 * cache key among the shields that are up (the shield pool hashes by rendezvous), then to the
 * next when a shield cannot be reached, and when no shield can take it, to the origin directly
 * ({@code origin-fallback}) or back to the client as a 502/504.
 *
 * <p>Only a shield that never got the request counts as down. A shield that answered, even
 * with an error it relays from the origin, has answered: asking the next shield would only
 * send the same request to the origin twice.
 */
final class ShieldTier implements Upstream {

    private static final Logger LOG = LoggerFactory.getLogger(ShieldTier.class);

    private final OriginPool shields;
    private final Upstream origins;
    private final boolean originFallback;
    private final Counter fallbacks;

    ShieldTier(OriginPool shields, Upstream origins, boolean originFallback, Counter fallbacks) {
        this.shields = shields;
        this.origins = origins;
        this.originFallback = originFallback;
        this.fallbacks = fallbacks;
    }

    @Override
    public UpstreamResponse fetch(UpstreamRequest request) throws UpstreamException {
        UpstreamResponse resp;
        try {
            resp = shields.fetch(request);
        } catch (UpstreamException e) {
            if (!originFallback || !e.notSent()) {
                throw e;
            }
            return fallback(request, e.getMessage());
        }
        if (originFallback && PoolKind.SHIELD.failure(resp.status(), resp.headers(), true)) {
            resp.close();
            return fallback(request, "shield " + resp.server() + " answered " + resp.status() + " without serving");
        }
        return resp;
    }

    /** Tunnels skip the shields: straight to the origin pools, with their balancing and ejection. */
    @Override
    public Upstream forTunnels() {
        return origins;
    }

    private UpstreamResponse fallback(UpstreamRequest request, @Nullable String why) throws UpstreamException {
        fallbacks.increment();
        LOG.debug("no shield took {} ({}); fetching from the origin", request.target(), why);
        return origins.fetch(request);
    }
}
