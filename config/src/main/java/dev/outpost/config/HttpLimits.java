package dev.outpost.config;

import java.time.Duration;

/**
 * Limits on what clients may send, so one client can't exhaust a node. Safe defaults; every
 * one can be raised for origins that need more.
 *
 * @param maxRequestLine longer request lines get 414
 * @param maxHeaderBytes larger request headers get 431
 * @param maxHeaders more request header fields get 431
 * @param maxRequestBody larger bodies of unsafe methods get 413
 * @param headerTimeout time allowed to send the request head (slowloris)
 * @param idleTimeout a keep-alive connection idle this long is closed
 * @param maxConnectionsPerClient concurrent connections allowed from one address
 * @param rateLimitMemory bound of the rate-limit buckets in bytes (one per rule and client
 *     address or header value; long values kept as digests); the least used are evicted past it
 * @param http2MaxConcurrentStreams requests one HTTP/2 connection may have in the pipeline at
 *     once, advertised as SETTINGS_MAX_CONCURRENT_STREAMS and enforced (429 past it)
 * @param http2ResetsPerSecond RST_STREAM frames a client may send per second on one HTTP/2
 *     connection, after a burst of ten seconds' worth; more closes the connection (rapid reset)
 * @param originBytesPerClient body bytes the node may pull from origins (or shields) on behalf of
 *     one client address per {@code originBytesWindow}; past it, that client's requests that need
 *     upstream get 429 while its hits are still served (a few cheap requests can otherwise make
 *     the node fetch whole large objects). 0: no cap
 * @param originBytesWindow the window {@code originBytesPerClient} is counted over
 * @param originBytesMemory bound of the per-client origin byte counters in bytes; the least used
 *     are evicted past it
 * @param tunnelIdleTimeout a WebSocket (or other upgraded) tunnel that carried no byte either way
 *     this long is closed at both ends; a rule may set its own
 * @param maxTunnelsPerClient tunnels open at once from one client address; more get 429
 * @param maxTunnels tunnels open at once on the node; more get 503
 * @param maxConcurrentCompressions bodies the node compresses at once (each encoder holds up to
 *     a few MiB of native memory); a compressed miss past it is relayed uncompressed and not
 *     stored. 0: the node compresses nothing
 * @param writeTimeout a response whose client accepts no byte for this long has its connection
 *     closed (its HTTP/2 stream reset) and everything it held released
 * @param slowReaderMemory bytes the node may hold, over all responses, in body chunks copied from
 *     disk that wait on clients slower than the node; past it, a chunk a client cannot take now is
 *     released and read again from disk when the client has drained its socket
 */
public record HttpLimits(
        DataSize maxRequestLine,
        DataSize maxHeaderBytes,
        Integer maxHeaders,
        DataSize maxRequestBody,
        Duration headerTimeout,
        Duration idleTimeout,
        Integer maxConnectionsPerClient,
        DataSize rateLimitMemory,
        Integer http2MaxConcurrentStreams,
        Double http2ResetsPerSecond,
        DataSize originBytesPerClient,
        Duration originBytesWindow,
        DataSize originBytesMemory,
        Duration tunnelIdleTimeout,
        Integer maxTunnelsPerClient,
        Integer maxTunnels,
        Integer maxConcurrentCompressions,
        Duration writeTimeout,
        DataSize slowReaderMemory) {

    public static final HttpLimits DEFAULT = new HttpLimits(null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null);

    public HttpLimits {
        maxRequestLine = maxRequestLine == null ? DataSize.ofKibibytes(8) : maxRequestLine;
        maxHeaderBytes = maxHeaderBytes == null ? DataSize.ofKibibytes(32) : maxHeaderBytes;
        maxHeaders = maxHeaders == null ? 100 : maxHeaders;
        maxRequestBody = maxRequestBody == null ? DataSize.ofMebibytes(10) : maxRequestBody;
        headerTimeout = headerTimeout == null ? Duration.ofSeconds(10) : headerTimeout;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
        maxConnectionsPerClient = maxConnectionsPerClient == null ? 512 : maxConnectionsPerClient;
        rateLimitMemory = rateLimitMemory == null ? DataSize.ofMebibytes(16) : rateLimitMemory;
        http2MaxConcurrentStreams = http2MaxConcurrentStreams == null ? 100 : http2MaxConcurrentStreams;
        http2ResetsPerSecond = http2ResetsPerSecond == null ? 10.0 : http2ResetsPerSecond;
        originBytesPerClient = originBytesPerClient == null ? DataSize.ofGibibytes(4) : originBytesPerClient;
        originBytesWindow = originBytesWindow == null ? Duration.ofMinutes(1) : originBytesWindow;
        originBytesMemory = originBytesMemory == null ? DataSize.ofMebibytes(8) : originBytesMemory;
        tunnelIdleTimeout = tunnelIdleTimeout == null ? Duration.ofMinutes(5) : tunnelIdleTimeout;
        maxTunnelsPerClient = maxTunnelsPerClient == null ? 64 : maxTunnelsPerClient;
        maxTunnels = maxTunnels == null ? 10_000 : maxTunnels;
        maxConcurrentCompressions = maxConcurrentCompressions == null ? 64 : maxConcurrentCompressions;
        writeTimeout = writeTimeout == null ? Duration.ofSeconds(30) : writeTimeout;
        slowReaderMemory = slowReaderMemory == null ? DataSize.ofMebibytes(64) : slowReaderMemory;
    }
}
