package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
import dev.outpost.config.CacheSettings;
import dev.outpost.config.Rule;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether a response may be stored by a shared cache and computes its freshness, per
 * RFC 9111 §3 and §4.2, with targeted cache control (RFC 9213) and the per-path rule on top.
 *
 * <p>Precedence of freshness sources: a rule with {@code ttl-mode: override}; then the most
 * specific targeted field present and valid ({@code Outpost-Cache-Control}, then
 * {@code CDN-Cache-Control}, then {@code Surrogate-Control}), which replaces Cache-Control and
 * Expires entirely; then {@code s-maxage}, {@code max-age}, {@code Expires}; then the rule's
 * {@code ttl}; then heuristic freshness for heuristically cacheable statuses.
 */
public final class StoragePolicy {

    /** The targeted fields this cache obeys, most specific first. */
    public static final List<String> TARGETED_FIELDS = List.of("outpost-cache-control", "cdn-cache-control", "surrogate-control");

    private final CacheSettings settings;

    public StoragePolicy(CacheSettings settings) {
        this.settings = settings;
    }

    /** The directives that govern this cache: the targeted field if any, else Cache-Control. */
    public static CacheControl effective(HeaderSource response) {
        CacheControl targeted = targeted(response);
        if (targeted != null) {
            return targeted;
        }
        CacheControl cc = CacheControl.parse(response.all("cache-control"));
        if (!cc.present() && hasPragmaNoCache(response)) {
            return CacheControl.parse("no-cache");
        }
        return cc;
    }

    static @Nullable CacheControl targeted(HeaderSource response) {
        for (int i = 0; i < 2; i++) {
            List<String> lines = response.all(TARGETED_FIELDS.get(i));
            if (!lines.isEmpty()) {
                CacheControl cc = CacheControl.parseTargeted(lines);
                if (cc != null) {
                    return cc;
                }
            }
        }
        List<String> surrogate = response.all("surrogate-control");
        if (!surrogate.isEmpty()) {
            CacheControl sc = CacheControl.parse(surrogate);
            if (sc.maxAge() != CacheControl.ABSENT || sc.noStore()) {
                return sc;
            }
        }
        return null;
    }

    static boolean hasPragmaNoCache(HeaderSource h) {
        for (String p : h.all("pragma")) {
            if (p.toLowerCase(Locale.ROOT).contains("no-cache")) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param requestAuthorized the request carried Authorization
     * @param requestNoStore the request carried Cache-Control: no-store
     * @param status response status
     * @param response response headers
     * @param rule the matching rule (with defaults applied)
     * @param requestTime when the request was sent upstream (ms)
     * @param responseTime when the response head arrived (ms)
     */
    public StoreDecision decide(boolean requestAuthorized, boolean requestNoStore, int status, HeaderSource response,
                                Rule rule, long requestTime, long responseTime) {
        if (rule.bypass()) {
            return StoreDecision.no("bypass");
        }
        if (status < 200 || status == 206 || status == 304) {
            return StoreDecision.no("status");
        }
        if (requestNoStore) {
            return StoreDecision.no("request-no-store");
        }
        boolean force = rule.forceCache();
        CacheControl targeted = targeted(response);
        CacheControl cc = targeted != null ? targeted : CacheControl.parse(response.all("cache-control"));
        boolean pragmaNoCache = targeted == null && !cc.present() && hasPragmaNoCache(response);
        if (cc.noStore() && !force && !(cc.mustUnderstand() && Statuses.understood(status))) {
            return StoreDecision.no("no-store");
        }
        if (cc.mustUnderstand() && !Statuses.understood(status) && !force) {
            return StoreDecision.no("must-understand");
        }
        if (cc.isPrivate() && !force) {
            return StoreDecision.no("private");
        }
        if (requestAuthorized && !force && !(cc.isPublic() || cc.sMaxAge() != CacheControl.ABSENT || cc.mustRevalidate())) {
            return StoreDecision.no("authorization");
        }
        Set<String> strip = new HashSet<>();
        strip.addAll(cc.privateFields());
        strip.addAll(cc.noCacheFields());
        if (response.contains("set-cookie") && !strip.contains("set-cookie") && !rule.cacheSetCookie() && !force) {
            return StoreDecision.no("set-cookie");
        }
        for (String v : response.all("vary")) {
            for (String name : v.split(",")) {
                if (name.trim().equals("*")) {
                    return StoreDecision.no("vary-star");
                }
            }
        }

        long date = HttpDates.parse(singleton(response, "date"));
        long dateValue = date == HttpDates.INVALID ? responseTime : date;
        long ageValue = ageValue(response.all("age"));
        long apparentAge = Math.max(0, responseTime - dateValue);
        long correctedAgeValue = ageValue * 1000 + Math.max(0, responseTime - requestTime);
        long correctedInitialAge = Math.max(apparentAge, correctedAgeValue);

        long lifetime;
        boolean explicit;
        boolean heuristic = false;
        if (rule.ttlMode() == Rule.TtlMode.OVERRIDE && rule.ttl() != null) {
            lifetime = rule.ttl().toMillis();
            explicit = true;
        } else if (cc.sMaxAge() != CacheControl.ABSENT) {
            lifetime = seconds(cc.sMaxAge());
            explicit = true;
        } else if (cc.maxAge() != CacheControl.ABSENT) {
            lifetime = seconds(cc.maxAge());
            explicit = true;
        } else if (targeted == null && response.contains("expires")) {
            // several Expires lines, or a list on one line, are not a date: already expired
            long expires = HttpDates.parse(singleton(response, "expires"));
            lifetime = expires == HttpDates.INVALID ? 0 : Math.max(0, expires - dateValue);
            explicit = true;
        } else if (rule.ttl() != null) {
            lifetime = rule.ttl().toMillis();
            explicit = true;
        } else {
            explicit = false;
            lifetime = 0;
            long lastModified = HttpDates.parse(response.first("last-modified"));
            if ((Statuses.heuristicallyCacheable(status) || cc.isPublic()) && lastModified != HttpDates.INVALID
                    && lastModified < dateValue) {
                lifetime = Math.min((long) ((dateValue - lastModified) * settings.heuristicFraction()),
                        settings.heuristicMax().toMillis());
                heuristic = true;
            }
        }
        if (!explicit && !heuristic && !Statuses.heuristicallyCacheable(status) && !cc.isPublic() && !force) {
            return StoreDecision.no("not-cacheable");
        }
        if (status >= 400) {
            long cap = rule.errorTtl().toMillis();
            if (cap <= 0) {
                return StoreDecision.no("error-ttl");
            }
            lifetime = Math.min(lifetime, cap);
        }
        boolean mustRevalidate = cc.mustRevalidate() || cc.proxyRevalidate() || cc.sMaxAge() != CacheControl.ABSENT;
        long swr = 0;
        long sie = 0;
        if (!mustRevalidate || force) {
            swr = cc.staleWhileRevalidate() >= 0 ? seconds(cc.staleWhileRevalidate()) : rule.staleWhileRevalidate().toMillis();
            sie = cc.staleIfError() >= 0 ? seconds(cc.staleIfError()) : rule.staleIfError().toMillis();
        }
        boolean alwaysRevalidate = (cc.noCache() || pragmaNoCache) && !force;
        boolean validators = response.contains("etag") || response.contains("last-modified");
        if (lifetime <= 0 && !validators && sie <= 0 && swr <= 0) {
            return StoreDecision.no("zero-ttl");
        }
        return new StoreDecision(true, null, Math.max(0, lifetime), correctedInitialAge, swr, sie,
                alwaysRevalidate, mustRevalidate && !force, heuristic, Set.copyOf(strip));
    }

    private static long seconds(long delta) {
        return delta < 0 ? 0 : delta * 1000;
    }

    /**
     * The value of a field defined as a singleton, or null when it is absent or has several
     * lines (a recipient cannot tell which one the sender meant).
     */
    static @Nullable String singleton(HeaderSource h, String name) {
        List<String> lines = h.all(name);
        return lines.size() == 1 ? lines.get(0) : null;
    }

    /**
     * Age (RFC 9111 §5.1) from all its lines: a list, on one line ({@code Age: 7200, 0}) or on
     * several, counts by its first member. Delta-seconds; anything invalid counts as 0.
     */
    static long ageValue(List<String> lines) {
        if (lines.isEmpty()) {
            return 0;
        }
        String first = lines.get(0);
        int comma = first.indexOf(',');
        long v = CacheControl.delta(CacheControl.ows(comma < 0 ? first : first.substring(0, comma)));
        return v < 0 ? 0 : v;
    }
}
