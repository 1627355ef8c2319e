/**
 * Purges on a node: {@link dev.outpost.edge.purge.PurgeExecutor} maps a purge by URL, prefix,
 * host, surrogate key or everything onto the cache's keys, hard or soft. The admin listener
 * and the fleet agent both go through it.
 */
@NullMarked
package dev.outpost.edge.purge;

import org.jspecify.annotations.NullMarked;
