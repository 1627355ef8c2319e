/**
 * Compression at the edge: a rule's {@code compress} block makes the node encode text
 * responses that the origin sent uncompressed, and store the encoded form, so that a hit costs
 * no compression work.
 *
 * <p>Start with {@link dev.outpost.edge.compress.AcceptEncodingKey}: a client's
 * Accept-Encoding folded to the one encoding the node would send it (by q-value, then the
 * rule's order), or {@code identity}. That token is both the {@code accept-encoding} part of the
 * variant key and the Accept-Encoding asked of the origin, so each URL has at most one stored
 * variant per encoding, and an origin that compresses by itself is respected.
 * {@link dev.outpost.edge.compress.Compression} decides whether a response qualifies (a 200 of a
 * listed type, long enough, without Content-Encoding or {@code no-transform}) and rewrites the
 * head of an encoded variant (Content-Encoding, Vary merged, ETag suffixed so validators never
 * mix representations). {@link dev.outpost.edge.compress.Encoders} opens a streaming encoder
 * (the JDK's Deflater for gzip, Brotli through brotli4j, zstd through zstd-jni) over any
 * output; {@link dev.outpost.edge.compress.EncodingStream} counts what went in and out and the
 * time spent, and the fill it writes into keeps memory bounded chunk by chunk.
 *
 * <p>The request pipeline ({@code proxy.ProxyHandler}) wires these in: the miss path encodes
 * while it fills the cache; hits, ranges and conditionals are answered from the stored encoded
 * representation like any other stored response.
 */
package dev.outpost.edge.compress;
