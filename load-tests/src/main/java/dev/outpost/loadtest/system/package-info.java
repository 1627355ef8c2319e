/**
 * The systems under test, started fresh per scenario with generated configs in a work
 * directory and pinned to the server CPU: {@link dev.outpost.loadtest.system.Systems} is the
 * entry point (availability, versions, start), {@link dev.outpost.loadtest.system.CacheSystem}
 * is a running one. nginx runs with proxy_cache, one worker per pinned core, and cache lock and
 * revalidation on; Varnish with one thread pool per pinned core and {@code beresp.keep} so it
 * revalidates; Apache Traffic Server
 * ({@code TrafficServerSystem}) alone in the foreground with a RAM
 * cache over a span file on tmpfs and one exec thread per pinned CPU; Outpost from
 * {@code edge-node/target/edge-node.jar} with the flags of the design's contract only.
 */
package dev.outpost.loadtest.system;
