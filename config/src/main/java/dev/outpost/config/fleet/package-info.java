/**
 * Messages exchanged between nodes, the control plane and the CLI, all records serialised with
 * {@link dev.outpost.config.OutpostJson}. Start with {@link dev.outpost.config.fleet.FleetProtocol}:
 * it names the endpoints and events of a node's session and which record each carries.
 * {@link dev.outpost.config.fleet.Purge} and {@link dev.outpost.config.fleet.NodeStats} are also
 * what a node's own admin listener takes and returns; {@link dev.outpost.config.fleet.PurgeStatus},
 * {@link dev.outpost.config.fleet.NodeView}, {@link dev.outpost.config.fleet.ConfigVersion} and
 * {@link dev.outpost.config.fleet.FleetStats} are what operators read.
 */
package dev.outpost.config.fleet;
