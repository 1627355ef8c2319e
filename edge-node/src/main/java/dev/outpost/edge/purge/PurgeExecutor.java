package dev.outpost.edge.purge;

import dev.outpost.config.Rule;
import dev.outpost.config.fleet.Purge;
import dev.outpost.edge.cache.TieredCache;
import dev.outpost.edge.http.RequestTarget;
import dev.outpost.edge.proxy.Delivery;
import dev.outpost.edge.rules.CacheKeys;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Turns a {@link Purge} into cache operations: URLs become the same keys requests use (same
 * normalisation, same rule's query policy), prefixes and hosts become key prefixes, tags go
 * through the tag index. Applies to both tiers and to fills under way.
 */
public final class PurgeExecutor {

    private final TieredCache cache;
    private final Supplier<Delivery> delivery;
    private final Runnable afterPurge;

    public PurgeExecutor(TieredCache cache, Supplier<Delivery> delivery, Runnable afterPurge) {
        this.cache = cache;
        this.delivery = delivery;
        this.afterPurge = afterPurge;
    }

    /** Applies a purge; returns how many stored entries it removed or marked stale, or -1 for a purge of everything (no count: the disk tier deletes in the background). */
    public int apply(Purge purge) {
        int n = switch (purge.kind()) {
            case URL -> {
                List<String> keys = new ArrayList<>();
                for (String v : purge.values()) {
                    Parsed p = parse(v, false);
                    Rule rule = delivery.get().rules().match(stripPort(p.host), p.target.path(), "GET");
                    keys.add(CacheKeys.urlKey(p.host, p.target.path(), p.target.query(), rule.cacheKey()));
                }
                yield cache.purgeUrlKeys(keys, purge.soft());
            }
            case PREFIX -> {
                int total = 0;
                for (String v : purge.values()) {
                    Parsed p = parse(v, true);
                    total += cache.purgePrefix(p.host + p.target.toUri(), purge.soft());
                }
                yield total;
            }
            case HOST -> {
                int total = 0;
                for (String v : purge.values()) {
                    String h = RequestTarget.normaliseHost(v.trim(), false);
                    if (h == null) {
                        throw new IllegalArgumentException("not a host: '" + v + "'");
                    }
                    total += cache.purgeHost(stripPort(h), purge.soft());
                }
                yield total;
            }
            case TAG -> {
                int total = 0;
                for (String v : purge.values()) {
                    total += cache.purgeTag(v.trim(), purge.soft());
                }
                yield total;
            }
            case ALL -> {
                cache.purgeAll(purge.soft());
                yield -1;
            }
        };
        afterPurge.run();
        return n;
    }

    private record Parsed(String host, RequestTarget target) {
    }

    /** An absolute http(s) URL (or {@code host/path}) normalised as requests are. */
    private static Parsed parse(String value, boolean prefix) {
        String v = value.trim();
        if (!v.contains("://")) {
            v = "http://" + v;
        }
        URI u;
        try {
            u = URI.create(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL: '" + value + "'");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getRawAuthority() == null) {
            throw new IllegalArgumentException("not an http(s) URL: '" + value + "'");
        }
        String host = RequestTarget.normaliseHost(u.getRawAuthority(), scheme.equals("https"));
        if (host == null) {
            throw new IllegalArgumentException("invalid host in '" + value + "'");
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        try {
            RequestTarget t = RequestTarget.parse(u.getRawQuery() == null ? path : path + "?" + u.getRawQuery());
            if (prefix && t.query() == null && path.endsWith("/") && !t.path().endsWith("/")) {
                t = new RequestTarget(t.path() + "/", null);
            }
            return new Parsed(host, t);
        } catch (RequestTarget.InvalidTargetException e) {
            throw new IllegalArgumentException("invalid URL '" + value + "': " + e.getMessage());
        }
    }

    private static String stripPort(String host) {
        if (host.startsWith("[")) {
            return host.substring(0, host.indexOf(']') + 1);
        }
        int c = host.indexOf(':');
        return c < 0 ? host : host.substring(0, c);
    }
}
