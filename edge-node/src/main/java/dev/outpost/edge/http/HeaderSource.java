package dev.outpost.edge.http;

import java.util.List;

/**
 * Read access to a header section, whatever holds it (Undertow's request headers, OkHttp's
 * response headers, a stored response), so caching rules are written once.
 */
public interface HeaderSource {

    /** The first value of the field, or null. Names are case-insensitive. */
    String first(String name);

    /** Every line of the field, in order; empty when absent. */
    List<String> all(String name);

    default boolean contains(String name) {
        return first(name) != null;
    }
}
