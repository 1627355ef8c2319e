package dev.outpost.edge.proxy;

import dev.outpost.edge.http.HeaderSource;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A request's (or response's) Undertow headers seen as a {@link HeaderSource}.
 *
 * <p>Undertow looks a field up by a {@code String} name through a byte array made of that name
 * on every call. The names the caching rules ask for are made into {@link HttpString}s once
 * ({@link #KNOWN}), so a hit's lookups allocate nothing; any other name goes the String way.
 */
record ExchangeHeaders(HeaderMap headers) implements HeaderSource {

    private static final Map<String, HttpString> KNOWN = Stream.of(
                    "accept-encoding", "age", "authorization", "cache-control", "cdn-loop", "connection",
                    "content-encoding", "content-length", "content-range", "content-type", "cookie", "date", "etag",
                    "expect", "expires", "forwarded", "host", "if-match", "if-modified-since", "if-none-match",
                    "if-range", "if-unmodified-since", "last-modified", "pragma", "range", "set-cookie",
                    "surrogate-capability", "surrogate-control", "te", "transfer-encoding", "upgrade", "user-agent",
                    "vary", "via", "x-forwarded-for", "x-forwarded-proto")
            .collect(Collectors.toUnmodifiableMap(Function.identity(), HttpString::new));

    @Override
    public String first(String name) {
        HttpString known = KNOWN.get(name);
        return known != null ? headers.getFirst(known) : headers.getFirst(name);
    }

    @Override
    public List<String> all(String name) {
        HttpString known = KNOWN.get(name);
        HeaderValues v = known != null ? headers.get(known) : headers.get(name);
        return v == null ? List.of() : v;
    }
}
