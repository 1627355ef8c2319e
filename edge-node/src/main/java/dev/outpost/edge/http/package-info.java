/**
 * HTTP caching semantics, free of I/O: what a shared cache may store and for how long
 * (RFC 9111), how clients' conditionals and ranges are answered (RFC 9110), and how this
 * node reports what it did (RFC 9211). The request pipeline in {@code proxy} asks these
 * classes; none of them blocks or keeps state.
 *
 * <p>Start with {@link dev.outpost.edge.http.StoragePolicy}: storable or not, and the
 * freshness lifetime, from {@link dev.outpost.edge.http.CacheControl} (also the targeted
 * fields of RFC 9213), Expires, the rule and heuristics; its answer is a
 * {@link dev.outpost.edge.http.StoreDecision}. {@link dev.outpost.edge.http.Conditionals} and
 * {@link dev.outpost.edge.http.Ranges} evaluate clients' If-None-Match, If-Modified-Since,
 * Range and If-Range against a stored response; {@link dev.outpost.edge.http.RequestTarget}
 * normalises targets and hosts for cache keys; {@link dev.outpost.edge.http.HttpDates} reads
 * and writes dates (strictly: an invalid Expires means already expired);
 * {@link dev.outpost.edge.http.Methods} says which methods invalidate;
 * {@link dev.outpost.edge.http.CacheStatus} builds the Cache-Status member.
 * Every parser here takes any input without throwing (they are fuzzed).
 */
@NullMarked
package dev.outpost.edge.http;

import org.jspecify.annotations.NullMarked;
