package dev.outpost.edge.cache;

import dev.outpost.edge.http.HeaderSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything stored about a response except its body: status, end-to-end headers, the times
 * and freshness computed when it arrived, validators, surrogate keys and where its body lives.
 * Immutable; freshening after a 304 or a soft purge makes a new one. Times are epoch ms of the
 * node's clock.
 *
 * @param key the storage key (the variant's key when the response varies)
 * @param status response status
 * @param headerNames stored header names, in arrival order (parallel to headerValues)
 * @param headerValues stored header values
 * @param requestTime when the upstream request was sent
 * @param responseTime when the upstream response head arrived
 * @param correctedInitialAge RFC 9111 §4.2.3, at responseTime
 * @param lifetime freshness lifetime
 * @param staleWhileRevalidate stale-while-revalidate window
 * @param staleIfError stale-if-error window
 * @param flags {@link #ALWAYS_REVALIDATE}, {@link #MUST_REVALIDATE}, {@link #HEURISTIC}, {@link #EDGE_ENCODED}
 * @param bodyLength body bytes
 * @param fillId the fill that wrote the body's chunks
 * @param chunkSize chunk size used for the body
 * @param tags surrogate keys (from Surrogate-Key and Cache-Tag)
 * @param varyNames request header names the response varies on (lower case), empty if none
 * @param purgedAt when a soft purge marked it stale (0: never)
 */
public record CachedResponse(
        String key,
        int status,
        String[] headerNames,
        String[] headerValues,
        long requestTime,
        long responseTime,
        long correctedInitialAge,
        long lifetime,
        long staleWhileRevalidate,
        long staleIfError,
        int flags,
        long bodyLength,
        long fillId,
        int chunkSize,
        List<String> tags,
        List<String> varyNames,
        long purgedAt) implements HeaderSource {

    public static final int ALWAYS_REVALIDATE = 1;
    public static final int MUST_REVALIDATE = 2;
    public static final int HEURISTIC = 4;
    /** The body was encoded (or decoded) by this node: its ETag carries a suffix the origin never saw. */
    public static final int EDGE_ENCODED = 8;

    /** Current age at {@code now} (RFC 9111 §4.2.3), in ms. */
    public long age(long now) {
        return correctedInitialAge + Math.max(0, now - responseTime);
    }

    /**
     * Freshness lifetime as of now: the stored lifetime, cut short by a soft purge so that
     * staleness (and the stale windows) begin at the purge.
     */
    public long effectiveLifetime() {
        if (purgedAt > 0) {
            return Math.min(lifetime, Math.max(0, correctedInitialAge + (purgedAt - responseTime)));
        }
        return lifetime;
    }

    /** Remaining freshness in ms: positive while fresh, negative once stale. */
    public long ttl(long now) {
        return effectiveLifetime() - age(now);
    }

    public boolean isFresh(long now) {
        return (flags & ALWAYS_REVALIDATE) == 0 && ttl(now) > 0;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    public String etag() {
        return first("etag");
    }

    public String lastModified() {
        return first("last-modified");
    }

    public boolean hasValidators() {
        return etag() != null || lastModified() != null;
    }

    @Override
    public String first(String name) {
        for (int i = 0; i < headerNames.length; i++) {
            if (headerNames[i].equalsIgnoreCase(name)) {
                return headerValues[i];
            }
        }
        return null;
    }

    @Override
    public List<String> all(String name) {
        List<String> out = null;
        for (int i = 0; i < headerNames.length; i++) {
            if (headerNames[i].equalsIgnoreCase(name)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(headerValues[i]);
            }
        }
        return out == null ? List.of() : out;
    }

    /** Bytes this entry accounts for in a tier: body plus an estimate of its metadata. */
    public long weight() {
        long w = bodyLength + 64 + key.length();
        for (int i = 0; i < headerNames.length; i++) {
            w += headerNames[i].length() + headerValues[i].length() + 8;
        }
        return w;
    }

    public CachedResponse withBodyLength(long length) {
        return new CachedResponse(key, status, headerNames, headerValues, requestTime, responseTime, correctedInitialAge,
                lifetime, staleWhileRevalidate, staleIfError, flags, length, fillId, chunkSize, tags, varyNames, purgedAt);
    }

    /** This entry with other header fields (same key, times and body). */
    public CachedResponse withHeaders(String[] names, String[] values) {
        return new CachedResponse(key, status, names, values, requestTime, responseTime, correctedInitialAge,
                lifetime, staleWhileRevalidate, staleIfError, flags, bodyLength, fillId, chunkSize, tags, varyNames, purgedAt);
    }

    /** Whether this is a variant index: the record under a URL's key naming the fields it varies on. */
    public boolean isVariantIndex() {
        return status == 0;
    }

    public CachedResponse withPurgedAt(long at) {
        return new CachedResponse(key, status, headerNames, headerValues, requestTime, responseTime, correctedInitialAge,
                lifetime, staleWhileRevalidate, staleIfError, flags, bodyLength, fillId, chunkSize, tags, varyNames, at);
    }

    /**
     * This entry freshened by a 304 (RFC 9111 §4.3.4): stored header fields are replaced by the
     * ones the 304 carries (except framing fields), times and freshness by the new ones.
     */
    public CachedResponse freshened(String[] names, String[] values, long newRequestTime, long newResponseTime,
                                    long newCorrectedInitialAge, long newLifetime, long swr, long sie, int newFlags) {
        List<String> n = new ArrayList<>();
        List<String> v = new ArrayList<>();
        java.util.Set<String> replaced = new java.util.HashSet<>();
        for (String name : names) {
            String l = name.toLowerCase(Locale.ROOT);
            if (!l.equals("content-length") && !l.equals("content-encoding") && !l.equals("transfer-encoding")
                    && !l.equals("content-range")) {
                replaced.add(l);
            }
        }
        for (int i = 0; i < headerNames.length; i++) {
            if (!replaced.contains(headerNames[i].toLowerCase(Locale.ROOT))) {
                n.add(headerNames[i]);
                v.add(headerValues[i]);
            }
        }
        for (int i = 0; i < names.length; i++) {
            if (replaced.contains(names[i].toLowerCase(Locale.ROOT))) {
                n.add(names[i]);
                v.add(values[i]);
            }
        }
        return new CachedResponse(key, status, n.toArray(String[]::new), v.toArray(String[]::new), newRequestTime,
                newResponseTime, newCorrectedInitialAge, newLifetime, swr, sie, newFlags, bodyLength, fillId, chunkSize,
                tags, varyNames, 0);
    }
}
