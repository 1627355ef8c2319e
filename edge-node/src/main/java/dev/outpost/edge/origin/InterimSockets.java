package dev.outpost.edge.origin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * Origin sockets whose input an {@link InterimScanner} watches, so that 1xx interim responses
 * the origin client discards can be forwarded: a plain socket that scans its own input and,
 * for TLS origins, the TLS socket over it wrapped in a {@link TlsSocket} that scans the
 * decrypted input. Installed once per node on the base client ({@link #install}), so every
 * pool of every config version shares the same factories and therefore the same pooled
 * connections.
 *
 * <p>Counts every interim response other than 100 Continue as
 * {@code outpost_interim_responses_total{result="forwarded|dropped"}}.
 */
final class InterimSockets {

    /** The two outcomes of an interim response. */
    static final class Counts {
        private final Counter forwarded;
        private final Counter dropped;

        Counts(MeterRegistry registry) {
            this.forwarded = counter(registry, "forwarded");
            this.dropped = counter(registry, "dropped");
        }

        private static Counter counter(MeterRegistry registry, String result) {
            return Counter.builder("outpost.interim.responses").tag("result", result)
                    .description("1xx interim responses from upstream (100 Continue aside), sent on to the client or dropped")
                    .register(registry);
        }

        void forwarded() {
            forwarded.increment();
        }

        void dropped() {
            dropped.increment();
        }
    }

    /** A socket that exposes the scanner of its input, once it has one. */
    interface Scanned {
        /** The scanner of this socket's input, or null before the input was opened. */
        InterimScanner scanner();
    }

    private InterimSockets() {
    }

    /**
     * {@code base} with sockets that scan for interim responses; its TLS trust is kept.
     *
     * @param maxHead an interim head larger than this is dropped ({@code limits.max-header-bytes})
     */
    static OkHttpClient install(OkHttpClient base, Counts counts, int maxHead) {
        OkHttpClient.Builder b = base.newBuilder().socketFactory(new Plain(base.socketFactory(), counts, maxHead));
        X509TrustManager trust = base.x509TrustManager();
        if (trust != null) {
            b.sslSocketFactory(new Tls(base.sslSocketFactory(), counts, maxHead), trust);
        }
        return b.build();
    }

    /** A plain TCP socket whose input is scanned. */
    static final class ScannedSocket extends Socket implements Scanned {
        private final Counts counts;
        private final int maxHead;
        private volatile InterimScanner scanner;

        ScannedSocket(Counts counts, int maxHead) {
            this.counts = counts;
            this.maxHead = maxHead;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            InterimScanner s = scanner;
            if (s == null) {
                synchronized (this) {
                    if (scanner == null) {
                        scanner = new InterimScanner(super.getInputStream(), counts, maxHead);
                    }
                    s = scanner;
                }
            }
            return s;
        }

        @Override
        public InterimScanner scanner() {
            return scanner;
        }
    }

    /** Makes {@link ScannedSocket}s; OkHttp creates unconnected sockets and connects them itself. */
    private static final class Plain extends SocketFactory {
        private final SocketFactory delegate;
        private final Counts counts;
        private final int maxHead;

        Plain(SocketFactory delegate, Counts counts, int maxHead) {
            this.delegate = delegate;
            this.counts = counts;
            this.maxHead = maxHead;
        }

        @Override
        public Socket createSocket() {
            return new ScannedSocket(counts, maxHead);
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return delegate.createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return delegate.createSocket(host, port, localHost, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return delegate.createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return delegate.createSocket(address, port, localAddress, localPort);
        }
    }

    /** Wraps the TLS sockets OkHttp layers over its plain ones in {@link TlsSocket}s. */
    private static final class Tls extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final Counts counts;
        private final int maxHead;

        Tls(SSLSocketFactory delegate, Counts counts, int maxHead) {
            this.delegate = delegate;
            this.counts = counts;
            this.maxHead = maxHead;
        }

        private Socket wrap(Socket s) {
            return s instanceof SSLSocket ssl ? new TlsSocket(ssl, counts, maxHead) : s;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return wrap(delegate.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return wrap(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return wrap(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return wrap(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return wrap(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
