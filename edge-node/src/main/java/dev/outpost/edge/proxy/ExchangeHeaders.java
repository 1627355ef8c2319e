package dev.outpost.edge.proxy;

import dev.outpost.edge.http.HeaderSource;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import java.util.List;

/** A request's (or response's) Undertow headers seen as a {@link HeaderSource}. */
record ExchangeHeaders(HeaderMap headers) implements HeaderSource {

    @Override
    public String first(String name) {
        return headers.getFirst(name);
    }

    @Override
    public List<String> all(String name) {
        HeaderValues v = headers.get(name);
        return v == null ? List.of() : v;
    }
}
