/**
 * Where a node's misses go: origin pools (and, through the same machinery, the shield tier).
 *
 * <p>Start reading at {@link dev.outpost.edge.origin.Pools}: it builds the {@link
 * dev.outpost.edge.origin.Origins} of each config version and keeps every server's state across
 * versions. {@link dev.outpost.edge.origin.OriginPool#fetch} is the per-request path: choose a
 * server that is up and below its connection limit ({@code Balancer}: smooth weighted round
 * robin, least connections, rendezvous hashing), send, count the outcome against the server
 * ({@code Server}: passive ejection, active health), and retry idempotent failures on another
 * server within the {@code RetryBudget}. {@link dev.outpost.edge.origin.PoolKind} says what
 * counts as a failure for origins and for shields.
 *
 * <p>1xx interim responses, which the origin client discards, are seen on the connection's
 * bytes: {@code InterimSockets} wraps origin sockets (plain and TLS)
 * with an {@code InterimScanner} that {@code CallPhase} arms per exchange, and hands each one
 * to the request's {@link dev.outpost.edge.origin.InterimResponse.Listener}.
 *
 * <p>Everything timed (health-check intervals, ejection times) reads the node's
 * {@link java.time.InstantSource}, so tests advance a manual clock instead of sleeping.
 */
package dev.outpost.edge.origin;
