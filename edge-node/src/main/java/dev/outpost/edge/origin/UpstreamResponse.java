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
        String cl = response.header("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public InputStream body() {
        return response.body().byteStream();
    }

    /** The server that answered, e.g. {@code http://10.0.0.5:8080}. */
    public String server() {
        return server;
    }

    @Override
    public String first(String name) {
        return response.header(name);
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
