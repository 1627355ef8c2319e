package dev.outpost.edge;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigProblem;
import dev.outpost.config.ConfigValidator;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.Durations;
import dev.outpost.config.HostPort;
import dev.outpost.config.HttpLimits;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.PemTls;
import dev.outpost.config.SourceMap;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;
import dev.outpost.config.ListenerLimits;
import dev.outpost.edge.admin.AdminHandler;
import dev.outpost.listeners.GuardedHttpListener;
import dev.outpost.edge.cache.TieredCache;
import dev.outpost.edge.fleet.FleetAgent;
import dev.outpost.edge.fleet.FleetHooks;
import dev.outpost.edge.log.AccessLog;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.origin.Origins;
import dev.outpost.edge.origin.Upstream;
import dev.outpost.edge.proxy.Delivery;
import dev.outpost.edge.proxy.ProxyHandler;
import dev.outpost.edge.purge.PurgeExecutor;
import dev.outpost.edge.rules.RuleSet;
import dev.outpost.edge.server.ClientListeners;
import dev.outpost.edge.server.Http2HeaderListSize;
import dev.outpost.edge.shield.Upstreams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;

/**
 * A running edge or shield node: client listeners (HTTP/1.1 and h2c, and h2 over TLS when
 * configured), the admin listener, the two cache tiers and the current delivery config. The
 * node implements {@link FleetHooks}, so a fleet agent can swap its config and purge it.
 *
 * <p>Start it with {@link #start}; {@link #close} shuts down gracefully: stop accepting,
 * finish requests in flight (within {@code shutdown-grace}), then flush and close the disk
 * tier.
 */
public final class EdgeNode implements FleetHooks, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeNode.class);

    private final NodeConfig config;
    private final InstantSource clock;
    private final PrometheusMeterRegistry registry;
    private final TieredCache cache;
    private final EdgeMetrics metrics;
    private final AccessLog accessLog;
    private final AtomicReference<Delivery> delivery = new AtomicReference<>();
    private final AtomicBoolean hitsAllowed;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** The client listeners are bound: until then /healthz says 503, as the node serves nobody. */
    private final AtomicBoolean listening = new AtomicBoolean();
    private final OkHttpClient httpClient;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("request-", 0).factory());
    private final Upstreams upstreams;
    private final ProxyHandler proxy;
    private final PurgeExecutor purges;
    private final GracefulShutdownHandler shutdown;
    private ClientListeners server;
    private FleetAgent fleet;
    private final java.util.concurrent.CompletableFuture<String> refusal = new java.util.concurrent.CompletableFuture<>();
    private int httpPort = -1;
    private int tlsPort = -1;
    private GuardedHttpListener admin;

    private EdgeNode(NodeConfig config, InstantSource clock) throws IOException {
        this.config = config;
        this.clock = clock;
        this.hitsAllowed = new AtomicBoolean(config.controlPlane() == null);
        this.httpClient = Origins.baseClient(config.originIdleTimeout());
        Files.createDirectories(Path.of(config.dataDir()));
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags(Tags.of("node", config.nodeId(), "region", config.region(),
                "role", config.role().name().toLowerCase(java.util.Locale.ROOT)));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        this.cache = TieredCache.open(config.cache(), Path.of(config.dataDir()), clock, registry);
        this.metrics = new EdgeMetrics(registry);
        this.accessLog = AccessLog.open(config.accessLog(), registry);
        this.upstreams = new Upstreams(config, httpClient, clock, registry);
        this.delivery.set(compile(0, config.delivery()));
        this.proxy = new ProxyHandler(config, delivery::get, cache, metrics, accessLog, clock, hitsAllowed::get, executor);
        this.purges = new PurgeExecutor(cache, delivery::get, proxy::clearHitForPass);
        this.shutdown = new GracefulShutdownHandler(new HttpContinueReadHandler(proxy));
    }

    /**
     * Starts a node. Problems that only show when resources are taken (a port in use, an
     * unreadable certificate) are reported like config errors, at the key that caused them.
     */
    public static EdgeNode start(NodeConfig config, SourceMap source, InstantSource clock) throws IOException {
        EdgeNode node = new EdgeNode(config, clock);
        try {
            node.admin = node.buildAdmin(source);
            if (config.controlPlane() != null) {
                // before the client listeners open: the agent applies the last config it had and
                // holds hits until missed purges are replayed
                node.fleet = new FleetAgent(config, node, clock, Path.of(config.dataDir()).resolve("fleet"),
                        node.adminUrl());
                node.fleet.start();
            }
            node.server = node.buildServer(source);
            node.listening.set(true);
            node.upstreams.start();
        } catch (IOException | RuntimeException e) {
            node.closeQuietly();
            throw e;
        }
        LOG.info("node {} ({}, region {}) serving on {}, admin on {}", config.nodeId(),
                config.role().name().toLowerCase(java.util.Locale.ROOT), config.region(), node.port(), node.adminPort());
        return node;
    }

    private Delivery compile(long version, DeliveryConfig d) {
        Upstream upstream = upstreams.compile(d);
        return new Delivery(version, d, new RuleSet(d), upstream);
    }

    private ClientListeners buildServer(SourceMap source) throws IOException {
        HttpLimits limits = config.limits();
        int cores = Runtime.getRuntime().availableProcessors();
        // Undertow's own limits sit well above ours, so that the pipeline answers 414 and 431
        // itself, on HTTP/2 for the one stream; only grossly oversized heads are cut off by the
        // parser (400 and closed; on HTTP/2 a GOAWAY)
        int maxHead = (int) Math.min(1 << 20, 4 * (limits.maxHeaderBytes().bytes() + limits.maxRequestLine().bytes()));
        Http2HeaderListSize.raiseTo(maxHead);
        OptionMap options = OptionMap.builder()
                .set(UndertowOptions.ENABLE_HTTP2, config.http2())
                .set(UndertowOptions.DECODE_URL, false)
                .set(UndertowOptions.MAX_HEADER_SIZE, maxHead)
                .set(UndertowOptions.HTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, maxHead)
                .set(UndertowOptions.HTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.http2MaxConcurrentStreams())
                // Undertow's own reset counting, a backstop to RequestHeadGuard's (which also counts
                // the resets of requests already being answered, which Undertow does not)
                .set(UndertowOptions.MAX_RST_FRAMES_PER_WINDOW, (int) Math.max(1, limits.http2ResetsPerSecond() * 10))
                .set(UndertowOptions.RST_FRAMES_TIME_WINDOW, 10_000)
                .set(UndertowOptions.MAX_HEADERS, 4 * limits.maxHeaders())
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) limits.idleTimeout().toMillis())
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) limits.headerTimeout().toMillis())
                .set(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                .set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                .set(UndertowOptions.RECORD_REQUEST_START_TIME, false)
                .getMap();
        ClientListeners l = new ClientListeners(Math.max(1, cores), options, limits.maxConnectionsPerClient(),
                new ClientListeners.Http2Limits(limits.http2MaxConcurrentStreams(), limits.http2ResetsPerSecond()), clock,
                registry);
        try {
            httpPort = bind(() -> l.http(config.listen(), shutdown), source, "listen", config.listen());
            if (config.tls() != null) {
                SSLContext ssl;
                try {
                    ssl = PemTls.context(config.tls());
                } catch (IOException e) {
                    throw new ConfigException(source.describe("tls") + ": " + e.getMessage());
                }
                tlsPort = bind(() -> l.https(config.tls().listen(), ssl, shutdown), source, "tls.listen", config.tls().listen());
            }
        } catch (IOException | RuntimeException e) {
            l.close();
            throw e;
        }
        return l;
    }

    private interface Binding {
        int bind() throws IOException;
    }

    private static int bind(Binding b, SourceMap source, String key, HostPort address) throws IOException {
        try {
            return b.bind();
        } catch (BindException e) {
            throw cannotListen(source, key, address, e);
        }
    }

    /** Names the address, so a port already taken is told apart from the others the node opens. */
    private static ConfigException cannotListen(SourceMap source, String key, HostPort address, BindException e) {
        return new ConfigException(source.describe(key) + ": cannot listen on " + address + ": " + e.getMessage()
                + " (address in use, or not an address of this host)");
    }

    private GuardedHttpListener buildAdmin(SourceMap source) throws IOException {
        // healthy once the client listeners accept: the admin listener opens first (the fleet
        // agent needs it), and a health check must not send clients to a port still closed
        AdminHandler handler = new AdminHandler(config.nodeId(), registry, this::stats, purges, config.adminToken(),
                () -> running.get() && listening.get(), () -> delivery.get().version(), cache::diskHealth);
        // its own thread and connection limits: clients flooding the client listener, or one
        // address holding admin connections open, leave /healthz and /metrics answering
        ListenerLimits l = config.adminLimits();
        GuardedHttpListener.Limits limits = new GuardedHttpListener.Limits(l.maxConnectionsPerClient(), l.headerTimeout(),
                l.idleTimeout(), 16 * 1024);
        InetSocketAddress address = new InetSocketAddress(config.admin().host(), config.admin().port());
        try {
            return new GuardedHttpListener("admin", address, handler, limits, null, false, 4, registry);
        } catch (BindException e) {
            throw cannotListen(source, "admin", config.admin(), e);
        }
    }

    /** Port of the plain-HTTP client listener. */
    public int port() {
        return httpPort;
    }

    /** Port of the TLS client listener, or -1. */
    public int tlsPort() {
        return tlsPort;
    }

    public int adminPort() {
        return admin.port();
    }

    public NodeConfig config() {
        return config;
    }

    /** The fleet agent, when the node runs with a control plane; else null. */
    public FleetAgent fleet() {
        return fleet;
    }

    /** The admin listener's URL as the control plane should reach it. */
    private String adminUrl() {
        String host = config.admin().host();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = config.publicAddress() != null ? config.publicAddress() : "127.0.0.1";
        }
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + adminPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The cache, for tests and tools that inspect what is stored. */
    public TieredCache cache() {
        return cache;
    }

    /** The config version being served. */
    public long configVersion() {
        return delivery.get().version();
    }

    // ---- FleetHooks ----

    @Override
    public void applyConfig(long version, DeliveryConfig config) {
        List<ConfigProblem> problems = ConfigValidator.validate(config);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems.stream().map(ConfigProblem::toString).toList());
        }
        delivery.set(compile(version, config));
        proxy.clearHitForPass();
        LOG.info("applied config version {}", version);
    }

    @Override
    public void applyPurge(Purge purge) {
        purges.apply(purge);
    }

    @Override
    public NodeStats stats() {
        return metrics.stats(cache::memoryBytes, cache::memoryEntries, cache::diskBytes, cache::diskEntries,
                () -> evictions("memory"), () -> evictions("disk"), cache::diskState);
    }

    private long evictions(String tier) {
        Counter c = registry.find("outpost.cache.evictions").tag("tier", tier).counter();
        return c == null ? 0 : (long) c.count();
    }

    @Override
    public void hitsAllowed(boolean allowed) {
        hitsAllowed.set(allowed);
    }

    @Override
    public void refused(String reason) {
        refusal.complete(reason);
    }

    /**
     * Completes with the reason when the control plane refused this node for good (another
     * live node holds its id): the process should then stop rather than serve under a name
     * that is not its own.
     */
    public java.util.concurrent.CompletableFuture<String> refusal() {
        return refusal;
    }

    /** Applies a purge and returns how many entries it touched (the admin endpoint's answer). */
    public int purge(Purge purge) {
        return purges.apply(purge);
    }

    // ---- shutdown ----

    /** Graceful: stop accepting, let requests in flight finish (bounded), close the tiers. */
    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        LOG.info("shutting down: finishing requests in flight (up to {})", Durations.format(config.shutdownGrace()));
        if (server != null) {
            server.stopAccepting();
        }
        shutdown.shutdown();
        try {
            if (!shutdown.awaitShutdown(config.shutdownGrace().toMillis())) {
                LOG.warn("requests still in flight after {}; closing anyway", Durations.format(config.shutdownGrace()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly();
        LOG.info("node {} stopped", config.nodeId());
    }

    private void closeQuietly() {
        if (fleet != null) {
            fleet.close();
        }
        proxy.closeTunnels();
        if (server != null) {
            server.close();
        }
        if (admin != null) {
            admin.close();
        }
        upstreams.close();
        executor.shutdownNow();
        cache.close();
        if (accessLog != null) {
            accessLog.close();
        }
        httpClient.dispatcher().executorService().shutdown();
        httpClient.connectionPool().evictAll();
        registry.close();
    }
}
