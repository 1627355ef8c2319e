/**
 * The Outpost control plane. Start with {@link dev.outpost.controlplane.ControlPlane}, which
 * wires the parts: {@code store} (the narrow durable store), {@code registry} (nodes, health,
 * stats), {@code configs} (versioned delivery configs), {@code purge} (the durable purge log)
 * and {@code api} (HTTP API and node subscriptions). {@link dev.outpost.controlplane.ControlPlaneMain}
 * runs one from flags and YAML.
 */
package dev.outpost.controlplane;
