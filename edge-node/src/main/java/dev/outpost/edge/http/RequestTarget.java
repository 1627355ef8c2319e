package dev.outpost.edge.http;

import org.jspecify.annotations.Nullable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * The normalised form of a request target, used both for the cache key and for the request
 * sent upstream, so two spellings of one resource can neither split nor poison an entry.
 *
 * <p>Normalisation (RFC 3986 §6.2.2): percent-encoded unreserved characters are decoded, other
 * escapes are upper-cased, dot segments are removed, bytes outside the allowed set are
 * percent-encoded (and {@code '} in a query, as the upstream client sends it). {@code %25} is
 * never decoded, so double encoding stays double. Matrix parameters ({@code ;a=b}) stay part of
 * their segment. Only origin-form targets are accepted.
 *
 * @param path normalised path, starting with {@code /}
 * @param query normalised query without {@code ?}, or null when the target had none
 */
public record RequestTarget(String path, @Nullable String query) {

    /** Why a target was refused; the message suits a 400 response. */
    public static final class InvalidTargetException extends Exception {
        public InvalidTargetException(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses and normalises a raw request target such as {@code /a/./b%7e?x=1}. */
    public static RequestTarget parse(String rawTarget) throws InvalidTargetException {
        if (rawTarget == null || rawTarget.isEmpty()) {
            throw new InvalidTargetException("empty request target");
        }
        if (rawTarget.charAt(0) != '/') {
            throw new InvalidTargetException(rawTarget.equals("*") ? "asterisk-form target not allowed"
                    : "only origin-form targets (starting with /) are accepted");
        }
        int q = rawTarget.indexOf('?');
        int hash = rawTarget.indexOf('#');
        if (hash >= 0) {
            throw new InvalidTargetException("fragment in request target");
        }
        String rawPath = q < 0 ? rawTarget : rawTarget.substring(0, q);
        String rawQuery = q < 0 ? null : rawTarget.substring(q + 1);
        return new RequestTarget(normalisePath(rawPath), rawQuery == null ? null : normaliseComponent(rawQuery, true));
    }

    /** Path and query as sent upstream. */
    public String toUri() {
        return query == null ? path : path + "?" + query;
    }

    static String normalisePath(String raw) throws InvalidTargetException {
        String encoded = normaliseComponent(raw, false);
        return removeDotSegments(encoded);
    }

    /**
     * Normalises percent-encoding of a path or query: decodes unreserved characters, upper-cases
     * other escapes, encodes bytes that may not appear literally.
     */
    static String normaliseComponent(String raw, boolean query) throws InvalidTargetException {
        StringBuilder out = null;
        int n = raw.length();
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= n || hex(raw.charAt(i + 1)) < 0 || hex(raw.charAt(i + 2)) < 0) {
                    throw new InvalidTargetException("invalid percent-encoding in request target");
                }
                int b = hex(raw.charAt(i + 1)) * 16 + hex(raw.charAt(i + 2));
                if (out == null) {
                    out = new StringBuilder(n).append(raw, 0, i);
                }
                if (unreserved(b)) {
                    out.append((char) b);
                } else {
                    out.append('%').append(Character.toUpperCase(raw.charAt(i + 1))).append(Character.toUpperCase(raw.charAt(i + 2)));
                }
                i += 2;
            } else if (c < 0x21 || c == 0x7f) {
                throw new InvalidTargetException("control character or space in request target");
            } else if (c > 0x7e || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`'
                    || c == '{' || c == '|' || c == '}' || (query && c == '\'')) {
                // ' in a query: the upstream client always sends it as %27, so the key must too
                if (out == null) {
                    out = new StringBuilder(n + 8).append(raw, 0, i);
                }
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (c > 0xff) {
                    bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                } else if (c > 0x7e) {
                    bytes = new byte[] {(byte) c}; // Undertow hands raw bytes as ISO-8859-1 chars
                }
                for (byte b : bytes) {
                    out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                }
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? raw : out.toString();
    }

    private static boolean unreserved(int b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                || b == '-' || b == '.' || b == '_' || b == '~';
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        char l = Character.toLowerCase(c);
        return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
    }

    /** RFC 3986 §5.2.4, on segments. */
    static String removeDotSegments(String path) {
        if (path.indexOf("/.") < 0) {
            return path;
        }
        String[] segments = path.split("/", -1);
        Deque<String> out = new ArrayDeque<>();
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals(".")) {
                if (last) {
                    out.addLast("");
                }
            } else if (s.equals("..")) {
                if (!out.isEmpty()) {
                    out.removeLast();
                }
                if (last) {
                    out.addLast("");
                }
            } else {
                out.addLast(s);
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (String s : out) {
            sb.append('/').append(s);
        }
        return sb.isEmpty() ? "/" : sb.toString();
    }

    /** A character of a lower-cased host name as the cache key takes it. */
    private static boolean hostNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    }

    /**
     * Whether {@code host} is already what {@link #normaliseHost} makes of it: a name of lower-case
     * letters, digits, {@code - . _} not ending in a dot, and an optional port of one to five ASCII
     * digits with no leading zero, at most 65535 and not the scheme's default.
     */
    private static boolean alreadyNormal(String host, boolean https) {
        int n = host.length();
        int colon = n;
        for (int i = 0; i < n; i++) {
            char c = host.charAt(i);
            if (c == ':') {
                colon = i;
                break;
            }
            if (!hostNameChar(c)) {
                return false;
            }
        }
        if (colon == 0 || host.charAt(colon - 1) == '.') {
            return false;
        }
        if (colon == n) {
            return true;
        }
        int digits = n - colon - 1;
        if (digits < 1 || digits > 5 || host.charAt(colon + 1) == '0') {
            return false;
        }
        int port = 0;
        for (int i = colon + 1; i < n; i++) {
            char c = host.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535 && !(port == 80 && !https) && !(port == 443 && https);
    }

    /**
     * Normalises a Host value: lower case, no trailing dot, no default port. Returns null when
     * it is not a valid host[:port].
     */
    public static @Nullable String normaliseHost(String host, boolean https) {
        if (host == null || host.isEmpty() || host.length() > 255) {
            return null;
        }
        if (alreadyNormal(host, https)) {
            return host; // the usual case, without a copy
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        String port = null;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) {
                return null;
            }
            if (end + 1 < h.length()) {
                if (h.charAt(end + 1) != ':') {
                    return null;
                }
                port = h.substring(end + 2);
            }
            String addr = h.substring(1, end);
            for (int i = 0; i < addr.length(); i++) {
                char c = addr.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return null;
                }
            }
            h = h.substring(0, end + 1);
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0) {
                port = h.substring(colon + 1);
                h = h.substring(0, colon);
            }
            while (h.endsWith(".")) {
                h = h.substring(0, h.length() - 1);
            }
            if (h.isEmpty()) {
                return null;
            }
            for (int i = 0; i < h.length(); i++) {
                char c = h.charAt(i);
                if (!hostNameChar(c)) {
                    return null;
                }
            }
        }
        if (port != null) {
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
                return null;
            }
            int p = Integer.parseInt(port);
            if (p > 65535) {
                return null;
            }
            if ((p == 80 && !https) || (p == 443 && https)) {
                port = null;
            } else {
                port = Integer.toString(p);
            }
        }
        return port == null ? h : h + ":" + port;
    }
}
