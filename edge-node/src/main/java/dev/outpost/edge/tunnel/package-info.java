/**
 * Tunnels: a client connection switched to another protocol (WebSocket, or an upgrade token a
 * rule allows) joined to the origin connection that answered its 101, bytes copied both ways
 * until either side closes. Nothing in a tunnel is cached, collapsed or looked at.
 *
 * <p>Start reading at {@link dev.outpost.edge.tunnel.Tunnels}: the node's one registry, which
 * reserves a slot before the origin handshake (per client address and per node), opens a
 * tunnel once the 101 is out, closes tunnels idle for their timeout, and counts tunnels,
 * bytes, closes and refusals. {@code Tunnel} is one tunnel: a virtual thread per direction,
 * parking on the client's non-blocking channel ({@code ClientChannel}) and blocking on the
 * origin's socket. Which requests become tunnels is the pipeline's decision
 * ({@code proxy.Upgrades}).
 */
@NullMarked
package dev.outpost.edge.tunnel;

import org.jspecify.annotations.NullMarked;
