package dev.outpost.edge.server;

import dev.outpost.config.HostPort;
import dev.outpost.listeners.GuardedHttpListener;
import dev.outpost.listeners.PerAddressLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.AlpnOpenListener;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.server.protocol.http2.Http2OpenListener;
import io.undertow.server.protocol.http2.Http2UpgradeHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The node's client-facing listeners, assembled from Undertow's protocol parts rather than its
 * builder, so that every accepted connection passes two checks first: a per-address
 * connection limit (connections past it get a 429 and are closed), and the
 * {@link RequestHeadGuard} on HTTP/1.x bytes (and on HTTP/2 frames, for reset and CONTINUATION
 * floods); HTTP/2 requests pass {@link Http2StreamLimit}. Plain listeners speak HTTP/1.1 and h2c (prior
 * knowledge and upgrade); TLS listeners negotiate h2 or HTTP/1.1 by ALPN.
 */
public final class ClientListeners implements AutoCloseable {

    private final XnioWorker worker;
    private final ByteBufferPool buffers;
    private final OptionMap undertowOptions;
    private final OptionMap socketOptions;
    private final boolean http2;
    private final List<AcceptingChannel<? extends StreamConnection>> channels = new ArrayList<>();
    private final PerAddressLimit<StreamConnection> perClient;
    private final Http2Limits http2Limits;
    private final InstantSource clock;
    private final Counter streamsRefused;
    private final java.util.Map<Http2FrameScanner.Trip, Counter> floods = new java.util.EnumMap<>(Http2FrameScanner.Trip.class);

    /**
     * Bounds of one HTTP/2 connection.
     *
     * @param maxConcurrentStreams requests in the pipeline at once (advertised and enforced)
     * @param resetsPerSecond RST_STREAM frames allowed per second, after ten seconds' worth
     */
    public record Http2Limits(int maxConcurrentStreams, double resetsPerSecond) {
    }

    /**
     * @param undertowOptions Undertow server options (limits, timeouts, HTTP/2)
     * @param maxPerClient concurrent connections allowed from one address
     * @param http2Limits bounds of one HTTP/2 connection
     * @param clock the node's clock (reset rates)
     */
    public ClientListeners(int ioThreads, OptionMap undertowOptions, int maxPerClient, Http2Limits http2Limits,
                           InstantSource clock, MeterRegistry registry) throws IOException {
        Xnio xnio = Xnio.getInstance(io.undertow.Undertow.class.getClassLoader());
        this.worker = xnio.createWorker(OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, ioThreads)
                .set(Options.WORKER_TASK_CORE_THREADS, 2)
                .set(Options.WORKER_TASK_MAX_THREADS, 8)
                .set(Options.TCP_NODELAY, true)
                .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                .set(Options.WORKER_NAME, "edge")
                .getMap());
        this.buffers = new DefaultByteBufferPool(true, 16 * 1024 - 20, -1, 4);
        this.undertowOptions = OptionMap.builder().set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                .addAll(undertowOptions).getMap();
        this.http2 = undertowOptions.get(UndertowOptions.ENABLE_HTTP2, false);
        this.socketOptions = OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, ioThreads)
                .set(Options.TCP_NODELAY, true)
                .set(Options.REUSE_ADDRESSES, true)
                .set(Options.BALANCING_TOKENS, 1)
                .set(Options.BALANCING_CONNECTIONS, 2)
                .set(Options.BACKLOG, 4096)
                .getMap();
        this.perClient = new PerAddressLimit<>("client", maxPerClient, StreamConnection::isOpen, registry);
        this.http2Limits = http2Limits;
        this.clock = clock;
        this.streamsRefused = Counter.builder("outpost.http2.streams.refused")
                .description("HTTP/2 requests answered 429 because their connection had too many in the pipeline")
                .register(registry);
        for (Http2FrameScanner.Trip t : Http2FrameScanner.Trip.values()) {
            floods.put(t, Counter.builder("outpost.http2.connections.closed").tag("reason", t.name().toLowerCase(java.util.Locale.ROOT))
                    .description("HTTP/2 connections closed for a flood of resets or CONTINUATION frames").register(registry));
        }
    }

    /** Starts a plain listener (HTTP/1.1, and h2c when HTTP/2 is on); returns its port. */
    public int http(HostPort address, HttpHandler handler) throws IOException {
        HttpOpenListener open = new HttpOpenListener(buffers, undertowOptions);
        open.setRootHandler(http2 ? new Http2UpgradeHandler(limited(handler)) : handler);
        AcceptingChannel<StreamConnection> server = worker.createStreamConnectionServer(
                new InetSocketAddress(address.host(), address.port()), accepting(open::handleEvent), socketOptions);
        server.resumeAccepts();
        channels.add(server);
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** Starts a TLS listener (h2 and HTTP/1.1 by ALPN); returns its port. */
    public int https(HostPort address, SSLContext ssl, HttpHandler handler) throws IOException {
        HttpOpenListener h1 = new HttpOpenListener(buffers, undertowOptions);
        h1.setRootHandler(handler);
        ChannelListener<StreamConnection> open = h1;
        if (http2) {
            AlpnOpenListener alpn = new AlpnOpenListener(buffers, undertowOptions, h1);
            Http2OpenListener h2 = new Http2OpenListener(buffers, undertowOptions);
            h2.setRootHandler(limited(handler));
            alpn.addProtocol(Http2OpenListener.HTTP2, h2, 10);
            open = alpn;
        }
        UndertowXnioSsl xnioSsl = new UndertowXnioSsl(worker.getXnio(), OptionMap.create(Options.USE_DIRECT_BUFFERS, true), ssl);
        ChannelListener<StreamConnection> target = open;
        @SuppressWarnings({"unchecked", "rawtypes"})
        AcceptingChannel<? extends StreamConnection> server = xnioSsl.createSslConnectionServer(worker,
                new InetSocketAddress(address.host(), address.port()), (ChannelListener) accepting(target::handleEvent),
                socketOptions);
        server.resumeAccepts();
        channels.add(server);
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private HttpHandler limited(HttpHandler handler) {
        return new Http2StreamLimit(handler, http2Limits.maxConcurrentStreams(), streamsRefused);
    }

    private <C extends StreamConnection> ChannelListener<AcceptingChannel<C>> accepting(
            java.util.function.Consumer<StreamConnection> next) {
        return channel -> {
            C connection;
            try {
                while ((connection = channel.accept()) != null) {
                    admit(connection, next);
                }
            } catch (IOException e) {
                // a failed accept leaves the listener as it was
            }
        };
    }

    private void admit(StreamConnection connection, java.util.function.Consumer<StreamConnection> next) {
        if (!GuardedHttpListener.admit(perClient, connection)) {
            return; // answered 429 and closed
        }
        HeadFramingScanner scanner = new HeadFramingScanner(http2Limits.resetsPerSecond(), clock::millis);
        connection.getSourceChannel().setConduit(new RequestHeadGuard(connection.getSourceChannel().getConduit(), scanner,
                trip -> floods.get(trip).increment()));
        next.accept(connection);
    }

    /**
     * Stops checking request heads on the HTTP/1.1 connection of {@code exchange}, which is about
     * to become a tunnel (its 101 is not sent yet). Returns false when the connection has no
     * {@link RequestHeadGuard} to stop (it did not come through these listeners, or Undertow
     * wrapped its conduits): the caller must then not switch it, as its bytes would be checked
     * as request heads.
     */
    public static boolean releaseForTunnel(io.undertow.server.HttpServerExchange exchange) {
        if (exchange.getConnection() instanceof io.undertow.server.AbstractServerConnection c
                && c.getOriginalSourceConduit() instanceof RequestHeadGuard guard) {
            guard.tunnel();
            return true;
        }
        return false;
    }

    /**
     * Whether the connection of {@code exchange} could become a tunnel: an HTTP/1.1 connection
     * of these listeners, whose {@link RequestHeadGuard} {@link #releaseForTunnel} can stop.
     * Changes nothing: asked before the origin's handshake, so a refusal costs the origin nothing.
     */
    public static boolean canTunnel(io.undertow.server.HttpServerExchange exchange) {
        return exchange.getConnection() instanceof io.undertow.server.protocol.http.HttpServerConnection c
                && c.getOriginalSourceConduit() instanceof RequestHeadGuard;
    }

    /** Stops accepting; open connections stay until the caller has let requests finish. */
    public void stopAccepting() {
        for (AcceptingChannel<? extends StreamConnection> c : channels) {
            IoUtils.safeClose(c);
        }
    }

    @Override
    public void close() {
        stopAccepting();
        worker.shutdownNow();
    }
}
