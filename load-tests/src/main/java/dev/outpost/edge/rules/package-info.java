/**
 * JMH benchmarks of the edge's {@code rules} package (same package, so package-private code
 * can be measured): start with {@link dev.outpost.edge.rules.CacheKeysBenchmark}.
 */
package dev.outpost.edge.rules;
