package dev.outpost.edge.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Keys of the node's own state kept per request-derived key (hit-for-pass marks, rate-limit
 * buckets): a key longer than {@link #DIGEST_ABOVE} characters is kept as its SHA-256 digest,
 * so a client sending 8 KiB URLs or header values costs the same few bytes per entry as one
 * sending short ones, and {@link #weight} is what a weigher charges for an entry.
 */
final class StateKeys {

    /** Keys up to this length are kept as they are. */
    static final int DIGEST_ABOVE = 64;
    /** What an entry costs besides its key: Caffeine's node, the value, the String header. */
    private static final int ENTRY_OVERHEAD = 120;
    /** Starts every digest; never the first character of a key kept as is (keys start with a host). */
    private static final char DIGEST_MARK = '\u0002';

    private StateKeys() {
    }

    /** The key as stored: itself when short, else a mark and the URL-safe base64 of its SHA-256. */
    static String compact(String key) {
        if (key.length() <= DIGEST_ABOVE) {
            return key;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return DIGEST_MARK + Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Bytes charged for an entry under a compacted key. */
    static int weight(String compactKey) {
        return ENTRY_OVERHEAD + compactKey.length();
    }
}
