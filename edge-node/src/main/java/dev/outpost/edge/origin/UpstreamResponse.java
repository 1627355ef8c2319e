package dev.outpost.edge.origin;

import dev.outpost.edge.http.HeaderSource;
import java.io.Closeable;
import java.io.InputStream;
import java.util.List;
import okhttp3.Headers;
import okhttp3.Response;

/**
 * A response head from upstream and its body stream. Closing it releases the connection (to
 * the pool when the body was read to the end).
 */
public final class UpstreamResponse implements Closeable, HeaderSource {

    private final Response response;
    private final Runnable onClose;
    private final String server;

    public UpstreamResponse(Response response, String server, Runnable onClose) {
        this.response = response;
        this.server = server;
        this.onClose = onClose;
    }

    public int status() {
        return response.code();
    }

    public Headers headers() {
        return response.headers();
    }

    /** Content-Length of the body, or -1 when unknown (chunked, close-delimited). */
    public long contentLength() {
        String cl = first("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Why the body's length can't be trusted (RFC 9112 §6.3: a Content-Length that is not a
     * number, or several that disagree, with no chunked framing to override them), or null.
     */
    public String framingProblem() {
        List<String> te = response.headers("Transfer-Encoding");
        if (!te.isEmpty()) {
            return null; // chunked framing wins over Content-Length, and OkHttp follows it
        }
        String first = null;
        for (String line : response.headers("Content-Length")) {
            for (String part : line.split(",", -1)) {
                String v = part.trim();
                if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return "invalid Content-Length '" + line + "'";
                }
                if (first != null && !first.equals(v)) {
                    return "conflicting Content-Length values";
                }
                first = v;
            }
        }
        return null;
    }

    /**
     * The connection's streams after a 101 to an upgrade request (a WebSocket handshake), or
     * null: the tunnel owns the connection from then on, and closing this response releases
     * the server's connection slot held for it.
     */
    public okio.Socket upgradedSocket() {
        return response.socket();
    }

    public InputStream body() {
        return response.body().byteStream();
    }

    /** The server that answered, e.g. {@code http://10.0.0.5:8080}. */
    public String server() {
        return server;
    }

    /**
     * The first line of the field, as for every {@link HeaderSource} (OkHttp's own
     * {@code header(name)} answers the last line, which would let a second line override the
     * first for fields where the first value counts, such as Age).
     */
    @Override
    public String first(String name) {
        List<String> lines = response.headers(name);
        return lines.isEmpty() ? null : lines.get(0);
    }

    @Override
    public List<String> all(String name) {
        return response.headers(name);
    }

    @Override
    public void close() {
        try {
            response.close();
        } finally {
            onClose.run();
        }
    }
}
