/**
 * The shield tier: an edge given shields sends each miss to one shield, the same one from every
 * edge for a given cache key, so the fleet asks the origin once per object.
 *
 * <p>Start reading at {@link dev.outpost.edge.shield.Upstreams}, which the node asks for the
 * upstream of each config version, then {@code ShieldTier}: rendezvous ranking over the shields
 * that are up, failover down the ranking when a shield cannot be reached, then the origin
 * directly when {@code origin-fallback} allows. The ranking, health checks and ejection are
 * the origin pool's ({@link dev.outpost.edge.origin.OriginPool} of kind
 * {@link dev.outpost.edge.origin.PoolKind#SHIELD}).
 *
 * <p>A shield is an ordinary node ({@code --role shield}): both cache tiers, fetching from the
 * origin. Loops between tiers are refused by the pipeline (CDN-Loop and Via carry each node's
 * id), and each tier's Cache-Status member reaches the client, the shield's first.
 */
@NullMarked
package dev.outpost.edge.shield;

import org.jspecify.annotations.NullMarked;
