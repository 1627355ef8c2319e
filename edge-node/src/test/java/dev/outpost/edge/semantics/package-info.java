/**
 * The HTTP caching semantics of the edge node, proven over real sockets: one class per topic
 * of RFC 9111 and its companions (freshness, directive parsing, Age, heuristics, storage
 * rules, Vary, invalidation, validation, client conditionals, collapsing, stale serving,
 * ranges, targeted cache control, HEAD, Expires parsing, 1xx responses, the Cache-Status chain
 * through a shield, node ids), each against WireMock origins, asserting status,
 * header fields ({@code Cache-Status}, {@code Age}, {@code Date}), bodies and origin request
 * counts.
 *
 * <p>Start with {@link dev.outpost.edge.semantics.FreshnessTest}. Each class starts one edge
 * for its tests (distinct paths keep them apart) on a shared
 * {@link dev.outpost.testing.ManualClock}; {@link dev.outpost.edge.semantics.OriginClock} makes
 * the WireMock origin date its responses by that clock (and simulate response delays), so time
 * is advanced, never slept. {@link dev.outpost.edge.semantics.RawOrigin} sends responses no
 * well-behaved server would (short bodies, cut chunking).
 */
package dev.outpost.edge.semantics;
