/**
 * Messages exchanged between nodes, the control plane and the CLI: {@link
 * dev.outpost.config.fleet.Purge} and {@link dev.outpost.config.fleet.NodeStats} to start
 * with. All are records serialised with {@link dev.outpost.config.OutpostJson}.
 */
package dev.outpost.config.fleet;
