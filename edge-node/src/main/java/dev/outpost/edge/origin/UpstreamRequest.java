package dev.outpost.edge.origin;

import java.util.List;
import okhttp3.RequestBody;

/**
 * A request to send upstream, already normalised and with its headers chosen by the pipeline.
 *
 * @param method request method
 * @param target normalised path and query
 * @param headerNames header names, parallel to headerValues
 * @param headerValues header values
 * @param body request body for methods that carry one, else null
 * @param cacheKey the cache key, for consistent hashing and shield choice
 * @param clientIp the client's address, for hashing on client IP
 * @param originName which origin pool (from the matching rule)
 * @param interim takes the 1xx interim responses that come before the final response, for the
 *     client whose request this is; null: they are dropped
 */
public record UpstreamRequest(
        String method,
        String target,
        List<String> headerNames,
        List<String> headerValues,
        RequestBody body,
        String cacheKey,
        String clientIp,
        String originName,
        InterimResponse.Listener interim) {

    /** A request whose interim responses are dropped. */
    public UpstreamRequest(String method, String target, List<String> headerNames, List<String> headerValues,
                           RequestBody body, String cacheKey, String clientIp, String originName) {
        this(method, target, headerNames, headerValues, body, cacheKey, clientIp, originName, null);
    }

    /** This request with its interim responses going to {@code listener}. */
    public UpstreamRequest withInterim(InterimResponse.Listener listener) {
        return new UpstreamRequest(method, target, headerNames, headerValues, body, cacheKey, clientIp, originName,
                listener);
    }

    /** Safe and idempotent methods may be retried on another server. */
    public boolean idempotent() {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "PUT", "DELETE" -> body == null || method.equals("PUT") || method.equals("DELETE");
            default -> false;
        };
    }

    /** The first value of a header set on this request, or null. */
    public String header(String name) {
        for (int i = 0; i < headerNames.size(); i++) {
            if (headerNames.get(i).equalsIgnoreCase(name)) {
                return headerValues.get(i);
            }
        }
        return null;
    }
}
