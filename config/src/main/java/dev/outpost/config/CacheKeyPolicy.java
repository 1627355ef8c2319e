package dev.outpost.config;

import java.util.List;
import java.util.Locale;

/**
 * Which parts of a request make up its cache key, beyond the normalised host and path.
 *
 * @param query which query parameters count: {@code all} (sorted), {@code none}, {@code allow}
 *     (only {@code query-params}) or {@code deny} (all but {@code query-params})
 * @param queryParams the parameter names for {@code allow} and {@code deny}
 * @param headers request headers whose values are part of the key (names, case-insensitive)
 * @param scheme whether http and https are cached apart (default true: a response the origin
 *     gave for one scheme, such as a redirect to https, is never served for the other)
 */
public record CacheKeyPolicy(QueryMode query, List<String> queryParams, List<String> headers, Boolean scheme) {

    public static final CacheKeyPolicy DEFAULT = new CacheKeyPolicy(QueryMode.ALL, List.of(), List.of(), true);

    public CacheKeyPolicy {
        query = query == null ? QueryMode.ALL : query;
        queryParams = queryParams == null ? List.of() : List.copyOf(queryParams);
        headers = headers == null ? List.of()
                : headers.stream().map(h -> h.toLowerCase(Locale.ROOT)).sorted().toList();
        scheme = scheme == null || scheme;
    }

    /** Query-parameter handling in the cache key. */
    public enum QueryMode { ALL, NONE, ALLOW, DENY }
}
