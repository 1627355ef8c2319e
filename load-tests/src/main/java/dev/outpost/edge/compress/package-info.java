/**
 * JMH benchmarks of the edge's {@code compress} package:
 * {@link dev.outpost.edge.compress.AcceptEncodingKeyBenchmark} (the per-request Accept-Encoding
 * choice) and {@link dev.outpost.edge.compress.CompressBenchmark} (what one compressed miss
 * costs each encoder).
 */
package dev.outpost.edge.compress;
