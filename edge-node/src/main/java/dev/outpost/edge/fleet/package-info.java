/**
 * The node's side of the fleet. Start with {@link dev.outpost.edge.fleet.FleetAgent}: it keeps a
 * node registered and subscribed to its control plane, applies config versions and purges in
 * order through {@link dev.outpost.edge.fleet.FleetHooks} (which the node implements), persists
 * what it applied, and turns hits off while the node is catching up. The protocol is written
 * down in {@link dev.outpost.config.fleet.FleetProtocol}.
 */
package dev.outpost.edge.fleet;
