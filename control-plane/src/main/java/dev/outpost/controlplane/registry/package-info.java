/**
 * The fleet's nodes. Start with {@link dev.outpost.controlplane.registry.NodeRegistry}:
 * registration, heartbeats, health on an injected clock, drain, each node's config and purge
 * progress, and the {@link dev.outpost.controlplane.dns.EdgeDirectory} view DNS steering reads.
 * {@link dev.outpost.controlplane.registry.FleetStatsView} sums the counters heartbeats carry
 * into per-node, per-region and fleet traffic.
 */
package dev.outpost.controlplane.registry;
