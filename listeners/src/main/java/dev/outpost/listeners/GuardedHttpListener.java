package dev.outpost.listeners;

import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.SslClientAuthMode;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * An HTTP/1.1 listener that one client cannot hold open: connections per address are limited
 * ({@link PerAddressLimit}, the connection over the limit gets 429 and is closed), a request
 * head must arrive within the head timeout (a head trickled byte by byte is cut off), and a
 * keep-alive connection idle for the idle timeout is closed. Plain or TLS (optionally with
 * client certificates required). It runs on its own XNIO worker, so its threads and its
 * connections are its own: a flood of the node's clients does not starve it, and it does not
 * starve them.
 */
public final class GuardedHttpListener implements AutoCloseable {

    private static final byte[] TOO_MANY = ("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 32\r\nRetry-After: 1\r\nConnection: close\r\n\r\ntoo many connections from you\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);

    /**
     * Limits of one listener.
     *
     * @param maxConnectionsPerClient concurrent connections from one address
     * @param headerTimeout time allowed to send a request head
     * @param idleTimeout a keep-alive connection with no request for this long is closed
     * @param maxHeaderBytes largest request head
     */
    public record Limits(int maxConnectionsPerClient, Duration headerTimeout, Duration idleTimeout, int maxHeaderBytes) {
    }

    private final XnioWorker worker;
    private final AcceptingChannel<? extends StreamConnection> server;
    private final PerAddressLimit<StreamConnection> perAddress;

    /**
     * Binds and starts accepting.
     *
     * @param name the listener's name in meters and thread names ({@code admin}, {@code api})
     * @param ssl TLS context, or null for plain HTTP
     * @param requireClientCertificate with TLS: refuse clients without a certificate the context trusts
     * @param workerThreads threads for handlers that dispatch off the I/O thread
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public GuardedHttpListener(String name, InetSocketAddress address, HttpHandler handler, Limits limits, SSLContext ssl,
                               boolean requireClientCertificate, int workerThreads, MeterRegistry registry) throws IOException {
        Xnio xnio = Xnio.getInstance(io.undertow.Undertow.class.getClassLoader());
        this.worker = xnio.createWorker(OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, 1)
                .set(Options.WORKER_TASK_CORE_THREADS, Math.max(1, workerThreads))
                .set(Options.WORKER_TASK_MAX_THREADS, Math.max(1, workerThreads))
                .set(Options.TCP_NODELAY, true)
                .set(Options.WORKER_NAME, name)
                .getMap());
        this.perAddress = new PerAddressLimit<>(name, limits.maxConnectionsPerClient(), StreamConnection::isOpen, registry);
        ByteBufferPool buffers = new DefaultByteBufferPool(true, 16 * 1024 - 20, -1, 4);
        OptionMap undertowOptions = OptionMap.builder()
                .set(UndertowOptions.MAX_HEADER_SIZE, limits.maxHeaderBytes())
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(limits.headerTimeout()))
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, millis(limits.idleTimeout()))
                .getMap();
        HttpOpenListener open = new HttpOpenListener(buffers, undertowOptions);
        open.setRootHandler(handler);
        OptionMap.Builder socket = OptionMap.builder()
                .set(Options.TCP_NODELAY, true)
                .set(Options.REUSE_ADDRESSES, true)
                .set(Options.BACKLOG, 1024);
        ChannelListener<AcceptingChannel<StreamConnection>> accept = accepting(open::handleEvent);
        try {
            if (ssl == null) {
                this.server = worker.createStreamConnectionServer(address, accept, socket.getMap());
            } else {
                if (requireClientCertificate) {
                    socket.set(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.REQUIRED);
                }
                UndertowXnioSsl xnioSsl = new UndertowXnioSsl(xnio, OptionMap.create(Options.USE_DIRECT_BUFFERS, true), ssl);
                this.server = xnioSsl.createSslConnectionServer(worker, address, (ChannelListener) accept, socket.getMap());
            }
        } catch (IOException | RuntimeException e) {
            worker.shutdownNow();
            throw e;
        }
        server.resumeAccepts();
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    private <C extends StreamConnection> ChannelListener<AcceptingChannel<C>> accepting(Consumer<StreamConnection> next) {
        return channel -> {
            C connection;
            try {
                while ((connection = channel.accept()) != null) {
                    if (admit(perAddress, connection)) {
                        next.accept(connection);
                    }
                }
            } catch (IOException e) {
                // a failed accept leaves the listener as it was
            }
        };
    }

    /**
     * Admits a connection under a per-address limit, or answers it 429 and closes it: what
     * every HTTP listener does with a connection it has just accepted.
     */
    public static boolean admit(PerAddressLimit<StreamConnection> limit, StreamConnection connection) {
        InetSocketAddress peer = connection.getPeerAddress(InetSocketAddress.class);
        if (peer != null && limit.admit(peer.getAddress(), connection)) {
            return true;
        }
        try {
            connection.getSinkChannel().write(ByteBuffer.wrap(TOO_MANY));
            connection.getSinkChannel().flush();
        } catch (IOException ignored) {
            // closing anyway
        }
        IoUtils.safeClose(connection);
        return false;
    }

    /** The bound address (the real port when port 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalAddress();
    }

    public int port() {
        return address().getPort();
    }

    /** Connections open now. */
    public long openConnections() {
        return perAddress.openConnections();
    }

    /** Stops accepting; open connections stay until {@link #close()}. */
    public void stopAccepting() {
        IoUtils.safeClose(server);
    }

    @Override
    public void close() {
        stopAccepting();
        worker.shutdownNow();
    }
}
