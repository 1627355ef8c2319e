/**
 * Hardening tests of the edge node, each over real sockets and each able to fail: cache
 * poisoning and deception ({@code PoisoningTest}), origin faults ({@code FaultsTest}), a full or
 * damaged disk tier ({@code DiskFailureTest}), repeated kill -9 during fills
 * ({@code KillNineChaosTest}, tag {@code chaos}) and a long mixed workload ({@code SoakTest},
 * tag {@code soak}). Their figures are collected in {@code docs/hardening.md}.
 *
 * <p>Helpers: {@link dev.outpost.edge.hardening.Wire} (one raw request, parsed answer),
 * {@link dev.outpost.edge.hardening.ScriptedOrigin} (an origin that sends whatever bytes a test
 * scripts) and {@link dev.outpost.edge.hardening.EdgeProcess} (a node in its own JVM).
 */
package dev.outpost.edge.hardening;
