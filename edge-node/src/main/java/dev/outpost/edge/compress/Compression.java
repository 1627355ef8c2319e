package dev.outpost.edge.compress;

import dev.outpost.config.Compress;
import dev.outpost.edge.http.HeaderSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a response is one the edge compresses, and the head of its encoded variant.
 *
 * <p>A response qualifies when it is a 200 with a body (not a range), of a media type the rule
 * lists, at least {@code min-size} long by its Content-Length (or of unknown length), that the
 * origin sent without a Content-Encoding and without {@code Cache-Control: no-transform}
 * (RFC 9111 §5.2.2.6). Every variant of a qualifying response varies on Accept-Encoding, the
 * uncompressed one too.
 *
 * <p>The entity tag of an encoded variant is the origin's with the encoding appended inside the
 * quotes ({@code "abc"} becomes {@code "abc-gzip"}, weakness kept), so a client's If-None-Match
 * or If-Range never matches another representation; the suffix is removed when the node
 * revalidates with the origin, and put back on the origin's answer.
 */
public final class Compression {

    private static final List<String> SUFFIXED = List.of("br", "zstd", "gzip", "identity");

    private Compression() {
    }

    /** Whether the rule's compression applies to this response, whatever the client accepts. */
    public static boolean qualifies(Compress c, int status, HeaderSource resp, long contentLength) {
        if (!c.enabled() || status != 200 || resp.first("content-range") != null) {
            return false;
        }
        if (contentLength >= 0 && contentLength < Math.max(1, c.minSize().bytes())) {
            return false;
        }
        for (String line : resp.all("content-encoding")) {
            for (String coding : line.split(",")) {
                if (!coding.isBlank() && !coding.trim().equalsIgnoreCase("identity")) {
                    return false;
                }
            }
        }
        for (String line : resp.all("cache-control")) {
            for (String d : line.split(",")) {
                if (d.trim().equalsIgnoreCase("no-transform")) {
                    return false;
                }
            }
        }
        return typeListed(c.types(), resp.first("content-type"));
    }

    /**
     * The one content coding a response of the rule's types was sent with, when the node can
     * decode it ({@code gzip}, {@code x-gzip} as gzip, {@code br}, {@code zstd}), for a client
     * that accepts none: the response is stored decoded as the identity variant. Null otherwise
     * (no coding, several, an unknown one, not a storable 200 of a listed type, or
     * {@code no-transform}).
     */
    public static String decodable(Compress c, int status, HeaderSource resp) {
        if (!c.enabled() || status != 200 || resp.first("content-range") != null) {
            return null;
        }
        String coding = null;
        for (String line : resp.all("content-encoding")) {
            for (String part : line.split(",")) {
                String t = part.trim().toLowerCase(Locale.ROOT);
                if (t.isEmpty() || t.equals("identity")) {
                    continue;
                }
                if (coding != null) {
                    return null; // several codings: left alone
                }
                coding = t.equals("x-gzip") ? "gzip" : t;
            }
        }
        if (coding == null || !(coding.equals("gzip") || Encoders.available(coding) && SUFFIXED.contains(coding))) {
            return null;
        }
        for (String line : resp.all("cache-control")) {
            for (String d : line.split(",")) {
                if (d.trim().equalsIgnoreCase("no-transform")) {
                    return null;
                }
            }
        }
        return typeListed(c.types(), resp.first("content-type")) ? coding : null;
    }

    /**
     * The head of the identity variant decoded from an encoded response: Content-Encoding,
     * Content-Length and Content-MD5 dropped, ETag suffixed with {@code identity}, Vary merged.
     */
    public static void decodedHead(List<String> names, List<String> values) {
        describeOtherBody(names, values, "identity");
        mergeVary(names, values);
    }

    /**
     * Drops the fields that described the body as the origin sent it (Content-Length,
     * Content-MD5, Content-Encoding) and suffixes the ETag with {@code representation}, so
     * validators never mix the stored variant with the origin's.
     */
    private static void describeOtherBody(List<String> names, List<String> values, String representation) {
        for (int i = 0; i < names.size(); i++) {
            String lower = names.get(i).toLowerCase(Locale.ROOT);
            if (lower.equals("content-length") || lower.equals("content-md5") || lower.equals("content-encoding")) {
                names.remove(i);
                values.remove(i);
                i--;
            } else if (lower.equals("etag")) {
                values.set(i, suffixEtag(values.get(i), representation));
            }
        }
    }

    /** Whether a Content-Type is one of the media ranges ({@code type/subtype} or {@code type/*}). */
    static boolean typeListed(List<String> types, String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String mt = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        int slash = mt.indexOf('/');
        if (slash <= 0) {
            return false;
        }
        for (String t : types) {
            if (t.equals(mt) || t.endsWith("/*") && t.regionMatches(0, mt, 0, slash + 1) && t.length() == slash + 2) {
                return true;
            }
        }
        return false;
    }

    /** Whether a request says {@code Cache-Control: no-transform}: it gets the uncompressed variant. */
    public static boolean noTransform(List<String> cacheControlLines) {
        for (String line : cacheControlLines) {
            for (String d : line.split(",")) {
                if (d.trim().equalsIgnoreCase("no-transform")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code "abc"} with {@code gzip}: {@code "abc-gzip"}; {@code W/"abc"}: {@code W/"abc-gzip"}. */
    public static String suffixEtag(String etag, String encoding) {
        String t = etag.trim();
        if (t.length() >= 2 && t.endsWith("\"")) {
            return t.substring(0, t.length() - 1) + "-" + encoding + "\"";
        }
        return t; // not an entity tag: left as the origin sent it
    }

    /** The origin's entity tag of an encoded variant's: the node's suffix removed. */
    public static String originEtag(String etag) {
        String t = etag.trim();
        for (String e : SUFFIXED) {
            String suffix = "-" + e + "\"";
            if (t.endsWith(suffix)) {
                return t.substring(0, t.length() - suffix.length()) + "\"";
            }
        }
        return t;
    }

    /**
     * The header fields with Vary naming Accept-Encoding: the origin's Vary lines folded into one
     * with {@code Accept-Encoding} added when missing, in place of the first.
     */
    public static void mergeVary(List<String> names, List<String> values) {
        int first = -1;
        List<String> members = new ArrayList<>();
        boolean hasAe = false;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase("vary")) {
                for (String m : values.get(i).split(",")) {
                    String t = m.trim();
                    if (!t.isEmpty()) {
                        members.add(t);
                        hasAe |= t.equalsIgnoreCase("accept-encoding");
                    }
                }
                if (first < 0) {
                    first = i;
                } else {
                    names.remove(i);
                    values.remove(i);
                    i--;
                }
            }
        }
        if (!hasAe) {
            members.add("Accept-Encoding");
        }
        String merged = String.join(", ", members);
        if (first < 0) {
            names.add("Vary");
            values.add(merged);
        } else {
            values.set(first, merged);
        }
    }

    /**
     * The head of the encoded variant of a qualifying response: Content-Encoding added, Vary
     * merged, ETag suffixed, Content-Length and Content-MD5 dropped (they described the
     * uncompressed body).
     */
    public static void encodedHead(List<String> names, List<String> values, String encoding) {
        describeOtherBody(names, values, encoding);
        names.add("Content-Encoding");
        values.add(encoding);
        mergeVary(names, values);
    }
}
