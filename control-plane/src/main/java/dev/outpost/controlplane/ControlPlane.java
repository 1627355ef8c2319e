package dev.outpost.controlplane;

import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.PemTls;
import dev.outpost.controlplane.api.ApiServer;
import dev.outpost.controlplane.configs.ConfigRollout;
import dev.outpost.controlplane.configs.ConfigVersions;
import dev.outpost.controlplane.dns.EdgeDirectory;
import dev.outpost.controlplane.dns.GeoDnsServer;
import dev.outpost.controlplane.purge.PurgeLog;
import dev.outpost.controlplane.registry.NodeRegistry;
import dev.outpost.controlplane.store.Store;
import dev.outpost.config.fleet.NodeView;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control plane: store, node registry, config versions, purge log and the HTTP API, wired
 * together. {@link ControlPlaneMain} runs one from flags; tests and benchmarks run one in
 * process on port 0. The GeoDNS server reads {@link #edgeDirectory()}.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

    private final ControlPlaneConfig config;
    private final Store store;
    private final NodeRegistry registry;
    private final ConfigVersions configs;
    private final PurgeLog purges;
    private final ApiServer api;
    private final GeoDnsServer dns;
    private final ExecutorService pumps = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "control-plane-sweeper");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    /**
     * Opens the store under {@code config.dataDir()} and builds every part; {@link #start()}
     * begins serving.
     *
     * @param clock judges heartbeats and stamps purges and versions (tests pass a ManualClock)
     * @param meters where the control plane's metrics go; {@code /metrics} scrapes it
     */
    public ControlPlane(ControlPlaneConfig config, InstantSource clock, PrometheusMeterRegistry meters) {
        this.config = config;
        this.store = Store.open(config);
        try {
            this.configs = new ConfigVersions(store, clock);
            this.registry = new NodeRegistry(store, clock, config.heartbeatTimeout(), configs::versionFor);
            this.purges = new PurgeLog(store, clock, registry, meters);
            new ConfigRollout(configs, registry, clock, meters);
            for (NodeView.Health h : NodeView.Health.values()) {
                String state = h.name().toLowerCase(java.util.Locale.ROOT);
                Gauge.builder("outpost.nodes", registry, r -> r.nodes().stream()
                                .filter(n -> !n.drained() && n.health() == h).count())
                        .tag("state", state).description("registered nodes by state").register(meters);
            }
            Gauge.builder("outpost.nodes", registry, r -> r.nodes().stream().filter(NodeView::drained).count())
                    .tag("state", "drained").description("registered nodes by state").register(meters);
            // GeoDNS runs when a zone is configured; it reads the registry through EdgeDirectory
            this.dns = config.zone() == null || config.zone().isBlank() ? null
                    : new GeoDnsServer(config, registry, meters, clock);
            this.api = new ApiServer(config, clock, registry, configs, purges, meters,
                    config.tls() == null ? null : tlsContext(config.tls()), pumps,
                    dns == null ? null : dns::explain);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Starts the API, the GeoDNS server (when a zone is set) and the health sweeper. */
    public ControlPlane start() {
        if (dns != null) {
            dns.start();
        } else {
            LOG.info("DNS is off: no zone is set; give --zone NAME (with --geoip FILE) to answer GeoDNS on {}",
                    config.dnsListen());
        }
        api.start();
        long period = Math.max(50, Math.min(1000, config.heartbeatTimeout().toMillis() / 10));
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Judges node health now (the sweeper does this periodically) and completes purges it unblocks. */
    public void sweep() {
        try {
            registry.sweep();
            purges.checkCompletion();
        } catch (RuntimeException e) {
            LOG.warn("sweep failed", e);
        }
    }

    /** The API's bound address. */
    public InetSocketAddress address() {
        return api.address();
    }

    /** The API's base URL, e.g. {@code http://127.0.0.1:7000}. */
    public URI url() {
        InetSocketAddress a = api.address();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create((config.tls() != null ? "https" : "http") + "://" + host + ":" + a.getPort());
    }

    /** The GeoDNS server, or null when no zone is configured. */
    public GeoDnsServer dns() {
        return dns;
    }

    /** The edges DNS steering may answer with. */
    public EdgeDirectory edgeDirectory() {
        return registry;
    }

    public NodeRegistry registry() {
        return registry;
    }

    public PurgeLog purges() {
        return purges;
    }

    public ConfigVersions configs() {
        return configs;
    }

    /** Open node subscriptions. */
    public int subscriptions() {
        return api.subscriptions();
    }

    public ControlPlaneConfig config() {
        return config;
    }

    /** Graceful stop: no new requests, subscriptions closed, requests in flight finished, store closed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sweeper.shutdownNow();
        if (dns != null) {
            dns.close();
        }
        api.close();
        configs.close();
        pumps.shutdown();
        try {
            pumps.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
        LOG.info("control plane stopped");
    }

    private static javax.net.ssl.SSLContext tlsContext(dev.outpost.config.TlsSettings tls) {
        try {
            return PemTls.context(tls);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("tls: cannot load the PEM files: " + e.getMessage(), e);
        }
    }
}
