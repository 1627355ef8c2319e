package dev.outpost.controlplane.dns;

import dev.outpost.config.Cidr;
import dev.outpost.config.ConfigProblem;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.Coordinates;
import dev.outpost.config.DnsSettings;
import dev.outpost.listeners.PerAddressLimit;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;

/**
 * The control plane's authoritative DNS server: answers A and AAAA queries for the CDN's
 * zone(s) with the nearest healthy edge for the client, over UDP and TCP, with EDNS Client
 * Subnet, response rate limiting and the metrics operators watch. Built by the control plane
 * from its config and the registry's {@link EdgeDirectory}; {@link #start()} binds the
 * listeners (port 0 picks a free port, the same for UDP and TCP), {@link #close()} stops them.
 *
 * <p>Where to read next: {@link DnsHandler} (one packet in, one out), {@link Steering} (which
 * edges), {@link ZoneModel} (which names exist), {@link GeoIpDatabase} (where a client is).
 * {@link #explain} tells why a client gets what it gets.
 */
public final class GeoDnsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GeoDnsServer.class);

    private final ControlPlaneConfig config;
    private final DnsSettings settings;
    private final GeoIpDatabase geo;
    private final ZoneModel zones;
    private final Steering steering;
    private final DnsMetrics metrics;
    private final DnsHandler handler;
    private final ResponseRateLimiter limiter;
    private final List<Thread> threads = new ArrayList<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Semaphore connectionSlots;
    private final PerAddressLimit<Socket> perAddress;
    private ScheduledExecutorService reloader;
    private DatagramChannel udp;
    private ServerSocket tcp;
    private volatile boolean closed;

    /**
     * A server for {@code config}'s {@code zone}, {@code geoip}, {@code dns-listen} and
     * {@code dns} settings, answering with {@code edges}. Throws IllegalArgumentException naming
     * every config problem (and the GeoIP file when it cannot be read). Nothing is bound until
     * {@link #start()}.
     */
    public GeoDnsServer(ControlPlaneConfig config, EdgeDirectory edges, MeterRegistry registry, InstantSource clock) {
        this.config = config;
        this.settings = config.dns();
        List<ConfigProblem> problems = new ArrayList<>(settings.problems("dns.", config.zone()));
        if (config.zone() == null || config.zone().isBlank()) {
            problems.add(new ConfigProblem("zone", "missing: the zone to answer for, e.g. --zone cdn.example.test"));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.stream().map(ConfigProblem::toString)
                    .collect(Collectors.joining("; ")));
        }
        this.geo = new GeoIpDatabase(config.geoip() == null || config.geoip().isBlank() ? null : Path.of(config.geoip()));
        this.zones = new ZoneModel(config.zone(), settings, clock.instant().getEpochSecond());
        this.steering = new Steering(settings, edges);
        this.metrics = new DnsMetrics(registry);
        this.handler = new DnsHandler(zones, steering, geo, metrics, settings);
        this.limiter = new ResponseRateLimiter(settings.rateLimit(), clock);
        this.connectionSlots = new Semaphore(settings.tcpMaxConnections());
        this.perAddress = new PerAddressLimit<>("dns-tcp", settings.tcpMaxConnectionsPerClient(), s -> !s.isClosed(), registry);
    }

    /** Binds UDP and TCP on {@code dns-listen} and starts answering. */
    public synchronized void start() {
        if (udp != null) {
            throw new IllegalStateException("already started");
        }
        InetAddress host;
        try {
            host = InetAddress.getByName(config.dnsListen().host());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("dns-listen: unknown host " + config.dnsListen().host());
        }
        bind(host, config.dnsListen().port());
        for (int i = 0; i < settings.udpThreads(); i++) {
            threads.add(Thread.ofPlatform().name("dns-udp-" + i).daemon().start(this::serveUdp));
        }
        threads.add(Thread.ofPlatform().name("dns-tcp-accept").daemon().start(this::acceptTcp));
        reloader = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("dns-geoip-reload").daemon().unstarted(r));
        long every = settings.geoipCheckInterval().toMillis();
        reloader.scheduleWithFixedDelay(this::reloadGeoIp, every, every, TimeUnit.MILLISECONDS);
        LOG.info("dns: answering for {} on udp/tcp {}:{}", zones.zones().stream().map(z -> z.apex().toString())
                .collect(Collectors.joining(", ")), host.getHostAddress(), udpPort());
    }

    private void bind(InetAddress host, int port) {
        IOException last = null;
        for (int attempt = 0; attempt < (port == 0 ? 10 : 1); attempt++) {
            DatagramChannel u = null;
            try {
                u = DatagramChannel.open();
                u.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                u.bind(new InetSocketAddress(host, port));
                int bound = ((InetSocketAddress) u.getLocalAddress()).getPort();
                ServerSocket t = new ServerSocket();
                try {
                    t.setReuseAddress(true);
                    t.bind(new InetSocketAddress(host, bound), 128);
                } catch (IOException e) {
                    t.close();
                    throw e;
                }
                udp = u;
                tcp = t;
                return;
            } catch (IOException e) {
                last = e;
                if (u != null) {
                    try {
                        u.close();
                    } catch (IOException ignored) {
                        // already failing
                    }
                }
                if (!(e instanceof BindException) || port != 0) {
                    break;
                }
            }
        }
        throw new UncheckedIOException("dns-listen " + config.dnsListen() + ": cannot bind: "
                + (last == null ? "" : last.getMessage()), last);
    }

    /** The bound UDP port (after {@link #start()}). */
    public int udpPort() {
        try {
            return ((InetSocketAddress) udp.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bound TCP port (after {@link #start()}); the same as the UDP port. */
    public int tcpPort() {
        return tcp.getLocalPort();
    }

    /** The bound address, e.g. for writing endpoints files. */
    public InetSocketAddress udpAddress() {
        return new InetSocketAddress(tcp.getInetAddress(), udpPort());
    }

    private void serveUdp() {
        ByteBuffer in = ByteBuffer.allocate(65_535);
        while (!closed) {
            SocketAddress from;
            try {
                in.clear();
                from = udp.receive(in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.warn("dns: udp receive failed: {}", e.toString());
                }
                continue;
            }
            try {
                InetSocketAddress sender = (InetSocketAddress) from;
                ResponseRateLimiter.Verdict verdict = limiter.check(sender.getAddress());
                if (verdict == ResponseRateLimiter.Verdict.DROP) {
                    metrics.rateLimited(verdict);
                    continue;
                }
                if (verdict == ResponseRateLimiter.Verdict.SLIP) {
                    metrics.rateLimited(verdict);
                }
                byte[] out = handler.handle(in.array(), in.position(), sender.getAddress(), DnsHandler.Transport.UDP,
                        verdict == ResponseRateLimiter.Verdict.SLIP);
                if (out != null) {
                    udp.send(ByteBuffer.wrap(out), sender);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.debug("dns: udp send failed: {}", e.toString());
            }
        }
    }

    private void acceptTcp() {
        while (!closed) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                LOG.warn("dns: tcp accept failed: {}", e.toString());
                continue;
            }
            // one address may hold only a few connections: idle or dripping clients at one
            // address cannot take every slot from the others
            if (!perAddress.admit(s.getInetAddress(), s)) {
                metrics.dropped("tcp-per-client-limit");
                closeQuietly(s);
                continue;
            }
            if (!connectionSlots.tryAcquire()) {
                metrics.dropped("tcp-connection-limit");
                closeQuietly(s);
                continue;
            }
            connections.add(s);
            Thread.ofVirtual().name("dns-tcp-conn").start(() -> {
                try {
                    serveTcp(s);
                } finally {
                    connections.remove(s);
                    connectionSlots.release();
                    closeQuietly(s);
                }
            });
        }
    }

    private void serveTcp(Socket s) {
        try {
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.tcpIdleTimeout().toMillis()));
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            InetAddress remote = s.getInetAddress();
            int idleMillis = (int) Math.min(Integer.MAX_VALUE, settings.tcpIdleTimeout().toMillis());
            long queryNanos = settings.tcpQueryTimeout().toNanos();
            while (!closed) {
                // idle between queries up to tcp-idle-timeout; once a query starts, all of it
                // must arrive within tcp-query-timeout, however the bytes are spread
                s.setSoTimeout(idleMillis);
                int first;
                try {
                    first = in.read();
                } catch (SocketTimeoutException e) {
                    return;
                }
                if (first < 0) {
                    return;
                }
                long deadline = System.nanoTime() + queryNanos;
                byte[] second = new byte[1];
                if (!readBy(s, in, second, deadline)) {
                    metrics.dropped("tcp-query-timeout");
                    return;
                }
                int length = (first << 8) | (second[0] & 0xff);
                byte[] query = new byte[length];
                if (!readBy(s, in, query, deadline)) {
                    metrics.dropped("tcp-query-timeout");
                    return;
                }
                byte[] answer = handler.handle(query, length, remote, DnsHandler.Transport.TCP, false);
                if (answer == null) {
                    continue;
                }
                out.write(answer.length >>> 8);
                out.write(answer.length & 0xff);
                out.write(answer);
                out.flush();
            }
        } catch (IOException e) {
            // the client went away, stalled past the idle timeout, or sent a short message
        }
    }

    /** Fills {@code buf} unless the deadline ({@link System#nanoTime()}) passes first or the stream ends. */
    private static boolean readBy(Socket s, InputStream in, byte[] buf, long deadline) throws IOException {
        int off = 0;
        while (off < buf.length) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            s.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
            int n;
            try {
                n = in.read(buf, off, buf.length - off);
            } catch (SocketTimeoutException e) {
                return false;
            }
            if (n < 0) {
                return false;
            }
            off += n;
        }
        return true;
    }

    private void reloadGeoIp() {
        try {
            if (geo.reloadIfChanged()) {
                metrics.geoipReloaded();
            }
        } catch (RuntimeException e) {
            LOG.warn("dns: geoip reload failed: {}", e.toString());
        }
    }

    /** Answers held for the current directory version (tests watch precomputation with it). */
    int precomputedAnswers() {
        return steering.precomputed();
    }

    /** Checks the GeoIP file now rather than at the next interval; whether a new one was loaded. */
    boolean reloadGeoIpNow() {
        boolean reloaded = geo.reloadIfChanged();
        if (reloaded) {
            metrics.geoipReloaded();
        }
        return reloaded;
    }

    /**
     * What a client at {@code clientAddress} (an IPv4 or IPv6 literal) gets for {@code name},
     * and why. Throws IllegalArgumentException for a malformed name or address.
     */
    public DnsExplanation explain(String name, String clientAddress) {
        Name qname = ZoneModel.name(DnsSettings.normalize(name == null ? "" : name));
        if (clientAddress == null || clientAddress.contains("/") || !Cidr.isValid(clientAddress)) {
            throw new IllegalArgumentException("not an IP address: '" + clientAddress + "'");
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByAddress(Cidr.parse(clientAddress).network());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + clientAddress + "'");
        }
        ClientLocation loc = geo.lookup(ip);
        DnsExplanation.Client client = new DnsExplanation.Client(ip.getHostAddress(), loc.networkText(), loc.located(),
                loc.continent(), loc.country(), loc.city(),
                loc.coordinates() == null ? null : loc.coordinates().latitude(),
                loc.coordinates() == null ? null : loc.coordinates().longitude());
        String plain = qname.toString(true);
        ZoneModel.Target target = zones.find(qname);
        ZoneModel.PoolName pool = switch (target) {
            case ZoneModel.Apex a -> a.pool();
            case ZoneModel.Pool p -> p.pool();
            default -> null;
        };
        ZoneModel.Zone zone = zones.zoneOf(qname);
        String zoneName = zone == null ? null : zone.apex().toString(true);
        if (pool == null) {
            String rcode = target instanceof ZoneModel.Outside ? "REFUSED"
                    : target instanceof ZoneModel.Missing ? "NXDOMAIN" : "NOERROR";
            return new DnsExplanation(plain, zoneName, rcode, null, client, null, null, null, null, false,
                    List.of(), List.of(), List.of());
        }
        Steering.Choice v4 = steering.choose(pool.pool(), false, pool.answers(), loc);
        Steering.Choice v6 = steering.choose(pool.pool(), true, pool.answers(), loc);
        Steering.Choice main = v4.addresses().isEmpty() && !v6.addresses().isEmpty() ? v6 : v4;
        Set<String> chosen = new HashSet<>();
        v4.edges().forEach(e -> chosen.add(e.candidate().nodeId()));
        v6.edges().forEach(e -> chosen.add(e.candidate().nodeId()));
        Coordinates from = main.override() != null && main.override().point() != null ? main.override().point()
                : loc.coordinates() != null ? loc.coordinates() : settings.fallback().coordinates();
        List<DnsExplanation.Candidate> candidates = new ArrayList<>();
        for (Steering.Edge e : steering.edges()) {
            EdgeCandidate c = e.candidate();
            Double km = from == null || c.coordinates() == null ? null
                    : Math.round(from.distanceKm(c.coordinates()) * 10) / 10.0;
            candidates.add(new DnsExplanation.Candidate(c.nodeId(), c.region(),
                    c.addresses().stream().map(InetAddress::getHostAddress).toList(), km, c.healthy(), c.drained(),
                    e.weight(), e.inPool(pool.pool()), chosen.contains(c.nodeId())));
        }
        candidates.sort(Comparator.comparing((DnsExplanation.Candidate c) -> c.distanceKm() == null ? Double.MAX_VALUE : c.distanceKm())
                .thenComparing(DnsExplanation.Candidate::nodeId));
        long ttl = main.degraded() ? Math.min(settings.degradedTtl().toSeconds(), pool.ttlSeconds()) : pool.ttlSeconds();
        String rcode = main.addresses().isEmpty() && !main.poolHasEdges() ? Rcode.string(Rcode.SERVFAIL) : "NOERROR";
        return new DnsExplanation(plain, zoneName, rcode, pool.pool(), client, main.policy(),
                main.override() == null ? null : main.override().description(), steering.scope(loc, main), ttl,
                main.degraded(),
                v4.addresses().stream().map(InetAddress::getHostAddress).toList(),
                v6.addresses().stream().map(InetAddress::getHostAddress).toList(),
                candidates);
    }

    /** Stops answering: closes the listeners and open TCP connections, and waits for the threads. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (reloader != null) {
            reloader.shutdownNow();
        }
        steering.close();
        try {
            if (udp != null) {
                udp.close();
            }
        } catch (IOException e) {
            LOG.debug("dns: closing udp: {}", e.toString());
        }
        closeQuietly(tcp);
        connections.forEach(GeoDnsServer::closeQuietly);
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("dns: stopped");
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
