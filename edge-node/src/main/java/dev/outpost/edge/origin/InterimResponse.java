package dev.outpost.edge.origin;

import okhttp3.Headers;

/**
 * A 1xx interim response an HTTP/1 upstream sent before its final response (RFC 9110 §15.2),
 * such as {@code 103 Early Hints}: its status and fields as received (hop-by-hop fields
 * included; the receiver removes them as for a final response). It is never part of the
 * {@link UpstreamResponse}: the origin client discards interim heads, so they are seen on the
 * connection's bytes ({@link InterimScanner}) and handed to the exchange's {@link Listener}.
 *
 * @param status the status code, 102 to 199 (100 and 101 are never reported)
 * @param fields the fields, in order
 */
public record InterimResponse(int status, Headers fields) {

    /**
     * Takes the interim responses of one exchange, on the thread that reads its response and
     * before the final response head is returned: whatever it writes reaches its client
     * before the final response.
     */
    @FunctionalInterface
    public interface Listener {

        /** @return whether the interim response was sent on (counted forwarded), else dropped */
        boolean interim(InterimResponse response);
    }
}
