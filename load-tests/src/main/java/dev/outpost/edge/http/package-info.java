/**
 * JMH benchmarks of the edge's {@code http} package (same package, so package-private code can
 * be measured): start with {@link dev.outpost.edge.http.CacheControlBenchmark}.
 */
package dev.outpost.edge.http;
