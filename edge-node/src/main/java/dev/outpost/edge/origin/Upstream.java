package dev.outpost.edge.origin;

/**
 * Where a node sends what it cannot answer from cache: an origin pool, or the shield tier in
 * front of it. Called on virtual threads; blocks until the response head arrives.
 */
public interface Upstream {

    /**
     * Sends the request and returns once the response head is in; the caller reads the body
     * from {@link UpstreamResponse#body()} and closes the response.
     *
     * @throws UpstreamException when no server gave a response (refused, timed out, invalid)
     */
    UpstreamResponse fetch(UpstreamRequest request) throws UpstreamException;

    /**
     * Where tunnels (WebSocket and other upgrades) go: the origin pools themselves. A shield
     * would add a hop and a connection to every tunnel and cache nothing of it.
     */
    default Upstream forTunnels() {
        return this;
    }
}
