package dev.outpost.edge.proxy;

import io.undertow.util.HttpString;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a hit does with each field name of a stored response, worked out once per distinct name
 * instead of on every hit: the lower-cased name, Undertow's {@link HttpString} for it, and which
 * of the copy rules ({@link ResponseWriter#storedHeaders}) leave it out. Copying a stored head
 * used to lower-case and encode every name on every hit, a large share of what a memory hit
 * allocated.
 *
 * <p>Keyed by the stored name strings themselves, whose hash codes the strings keep, so a lookup
 * allocates nothing. Names come from origins, so the table is bounded: past {@link #MAX_NAMES}
 * distinct names, or past {@link #MAX_NAME_LENGTH} characters, a name is classified on the
 * spot, as before, and not remembered.
 */
final class StoredFieldNames {

    /** Distinct field names remembered; real origins send a few dozen. */
    static final int MAX_NAMES = 4096;
    /** Longer names are classified on the spot and never remembered: at most 4096 x 64 chars held. */
    static final int MAX_NAME_LENGTH = 64;

    private static final Set<String> NOT_MODIFIED_FIELDS = Set.of("content-location", "date", "etag", "vary",
            "cache-control", "expires", "cache-status");
    private static final Set<String> BROWSER_CACHE_FIELDS = Set.of("cache-control", "expires", "pragma");

    /**
     * One field name as a hit copies it.
     *
     * @param never content-length or hop-by-hop: never copied from the stored head
     * @param cdnOnly a directive for CDNs only, copied to internal (fleet) requests alone
     * @param browserCache replaced when the rule sets the browser's Cache-Control
     * @param inNotModified kept in a 304 answered from the cache
     */
    record Name(HttpString name, boolean never, boolean cdnOnly, boolean browserCache, boolean inNotModified) {
    }

    private final ConcurrentHashMap<String, Name> names = new ConcurrentHashMap<>();

    Name of(String stored) {
        Name n = names.get(stored);
        if (n != null) {
            return n;
        }
        n = classify(stored);
        if (names.size() < MAX_NAMES && stored.length() <= MAX_NAME_LENGTH) {
            names.putIfAbsent(stored, n);
        }
        return n;
    }

    static Name classify(String stored) {
        String lower = stored.toLowerCase(Locale.ROOT);
        return new Name(HttpString.tryFromString(stored),
                lower.equals("content-length") || Hop.HOP_BY_HOP.contains(lower),
                Hop.CDN_ONLY.contains(lower),
                BROWSER_CACHE_FIELDS.contains(lower),
                NOT_MODIFIED_FIELDS.contains(lower));
    }

    int size() {
        return names.size();
    }
}
