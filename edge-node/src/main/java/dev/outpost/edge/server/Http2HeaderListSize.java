package dev.outpost.edge.server;

/**
 * Undertow caps the header list of an HTTP/2 request at 20,000 bytes by default and answers a
 * larger one with a GOAWAY that loses every stream of the connection. That cap is the system
 * property {@code io.undertow.http2-max-header-size}, read once when Undertow's
 * {@code Http2Channel} class loads, so it is raised before any listener opens: the node's own
 * limit ({@code limits.max-header-bytes}, 32 KiB) then answers 431 for that one stream, as on
 * HTTP/1.1, and only heads four times over the limit still cost the connection.
 */
public final class Http2HeaderListSize {

    static final String PROPERTY = "io.undertow.http2-max-header-size";

    private Http2HeaderListSize() {
    }

    /** Raises Undertow's cap to {@code bytes} unless it is already at least that. */
    public static synchronized void raiseTo(int bytes) {
        Integer current = Integer.getInteger(PROPERTY);
        if (current == null || current < bytes) {
            System.setProperty(PROPERTY, Integer.toString(bytes));
        }
    }
}
