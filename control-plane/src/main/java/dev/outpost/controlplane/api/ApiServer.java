package dev.outpost.controlplane.api;

import dev.outpost.config.ConfigException;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.ControlPlaneConfig;
import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.fleet.Ack;
import dev.outpost.config.fleet.ConfigTarget;
import dev.outpost.config.fleet.ConfigVersion;
import dev.outpost.config.fleet.FleetProtocol;
import dev.outpost.config.fleet.Heartbeat;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.config.fleet.NodeView;
import dev.outpost.config.fleet.Purge;
import dev.outpost.config.fleet.PurgeEvent;
import dev.outpost.config.fleet.PurgeStatus;
import dev.outpost.config.fleet.RegistrationReply;
import dev.outpost.controlplane.configs.ConfigVersions;
import dev.outpost.controlplane.purge.PurgeLog;
import dev.outpost.controlplane.registry.FleetStatsView;
import dev.outpost.controlplane.registry.NodeRegistry;
import dev.outpost.controlplane.store.Store;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Handlers;
import dev.outpost.config.ListenerLimits;
import dev.outpost.listeners.GuardedHttpListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.sse.ServerSentEventHandler;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.BiFunction;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's HTTP API under {@code /v1/} (Undertow, JSON), the nodes' subscriptions,
 * {@code /healthz} and {@code /metrics}. Every {@code /v1/} route names the scope its token
 * needs; bodies are bounded; every error is {@code {"error", "detail"}} with its status.
 * The routes are listed in {@link #routes()}, which is the API's reference.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Duration MAX_WAIT = Duration.ofSeconds(60);
    private static final String CHECKED_AFTER = "outpost.after";
    private static final String CHECKED_KEEPALIVE = "outpost.keepalive";

    private final ControlPlaneConfig config;
    private final NodeRegistry registry;
    private final ConfigVersions configs;
    private final PurgeLog purges;
    private final PrometheusMeterRegistry meters;
    private final TokenAuth auth;
    private final RateLimiter purgeLimiter;
    private final NodeStreams streams;
    private final long bodyLimit;
    private final Object changes = new Object();
    private final SSLContext ssl;
    private final BiFunction<String, String, Object> explainDns;
    private GuardedHttpListener server;
    private GracefulShutdownHandler graceful;

    /**
     * @param ssl TLS context for the listener, or null for plain HTTP
     * @param executor runs subscription pumps (virtual threads suit it)
     * @param explainDns GeoDNS's answer and reasons for a name and client address, or null
     *     when DNS is off
     */
    public ApiServer(ControlPlaneConfig config, InstantSource clock, NodeRegistry registry, ConfigVersions configs,
                     PurgeLog purges, PrometheusMeterRegistry meters, SSLContext ssl, ExecutorService executor,
                     BiFunction<String, String, Object> explainDns) {
        this.config = config;
        this.registry = registry;
        this.configs = configs;
        this.purges = purges;
        this.meters = meters;
        this.ssl = ssl;
        this.explainDns = explainDns;
        this.auth = new TokenAuth(config);
        this.purgeLimiter = new RateLimiter(config.purgeRateLimit(), clock);
        this.streams = new NodeStreams(purges, configs, registry, executor);
        this.bodyLimit = config.maxRequestBody().bytes();
        registry.onChange(() -> {
            synchronized (changes) {
                changes.notifyAll();
            }
        });
    }

    /** Starts listening; the port is then known from {@link #address()}. */
    public ApiServer start() {
        graceful = Handlers.gracefulShutdown(routes());
        // per-address connection limit, head and idle timeouts: one address trickling request
        // heads cannot take every descriptor, and the nodes' heartbeats keep arriving
        ListenerLimits l = config.limits();
        GuardedHttpListener.Limits limits = new GuardedHttpListener.Limits(l.maxConnectionsPerClient(), l.headerTimeout(),
                l.idleTimeout(), 16 * 1024);
        try {
            server = new GuardedHttpListener("api", new InetSocketAddress(config.listen().host(), config.listen().port()),
                    graceful, limits, ssl, ssl != null && config.tls().clientCa() != null, 64, meters);
        } catch (IOException e) {
            throw new UncheckedIOException("listen " + config.listen() + ": cannot listen: " + e.getMessage(), e);
        }
        LOG.info("control-plane API listening on {}://{}:{}", ssl != null ? "https" : "http",
                address().getAddress().getHostAddress(), address().getPort());
        return this;
    }

    /** The bound address (the real port when {@code listen} asked for port 0). */
    public InetSocketAddress address() {
        return server.address();
    }

    /** Open node subscriptions. */
    public int subscriptions() {
        return streams.size();
    }

    HttpHandler routes() {
        RoutingHandler r = Handlers.routing();
        // a replica that cannot read its shared store for longer than the heartbeat timeout is not
        // healthy (its DNS answers SERVFAIL meanwhile); with the embedded store this is always ok
        r.get("/healthz", open(ex -> Http.json(ex, registry.current() ? 200 : 503,
                Map.of("status", registry.current() ? "ok" : "store-unreachable"))));
        r.get("/metrics", open(ex -> {
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            ex.getResponseSender().send(meters.scrape());
        }));

        // node side
        r.post(FleetProtocol.REGISTER, api(Scope.NODE, this::register));
        r.post(FleetProtocol.NODES + "/{id}/heartbeat", api(Scope.NODE, this::heartbeat));
        r.post(FleetProtocol.NODES + "/{id}/acks", api(Scope.NODE, this::fastAck, false));
        r.get(FleetProtocol.NODES + "/{id}/events", subscription());

        // operators
        r.get(FleetProtocol.NODES, api(Scope.READ, ex -> Http.json(ex, 200, registry.nodes())));
        r.get(FleetProtocol.NODES + "/{id}", api(Scope.READ, ex -> Http.json(ex, 200, node(ex))));
        r.post(FleetProtocol.NODES + "/{id}/drain", api(Scope.WRITE, ex -> drain(ex, true)));
        r.post(FleetProtocol.NODES + "/{id}/undrain", api(Scope.WRITE, ex -> drain(ex, false)));
        r.delete(FleetProtocol.NODES + "/{id}", api(Scope.WRITE, this::removeNode));

        r.post(FleetProtocol.PURGES, api(Scope.WRITE, this::purge));
        r.get(FleetProtocol.PURGES, api(Scope.READ, this::listPurges));
        r.get(FleetProtocol.PURGES + "/{seq}", api(Scope.READ, this::purgeStatus));

        r.post(FleetProtocol.CONFIGS, api(Scope.WRITE, this::pushConfig));
        r.post(FleetProtocol.CONFIGS + "/validate", api(Scope.READ, this::validateConfig));
        r.get(FleetProtocol.CONFIGS, api(Scope.READ, ex -> Http.json(ex, 200, configs.history())));
        r.get(FleetProtocol.CONFIGS + "/{version}", api(Scope.READ, ex -> Http.json(ex, 200, version(ex, "version"))));
        r.get(FleetProtocol.CONFIGS + "/{from}/diff/{to}", api(Scope.READ, this::diff));
        r.post(FleetProtocol.CONFIGS + "/{version}/rollback", api(Scope.WRITE, this::rollback));

        r.get(FleetProtocol.API + "/dns/resolve", api(Scope.READ, this::dnsResolve));
        r.get(FleetProtocol.STATS, api(Scope.READ, ex -> Http.json(ex, 200, FleetStatsView.of(registry, Http.query(ex, "region")))));

        r.setFallbackHandler(ex -> Http.error(ex, 404, "not-found", "no such endpoint: " + ex.getRequestMethod() + " " + ex.getRequestPath()));
        r.setInvalidMethodHandler(ex -> Http.error(ex, 405, "method-not-allowed", ex.getRequestMethod() + " is not allowed on " + ex.getRequestPath()));
        return r;
    }

    // ---- node side

    private void register(HttpServerExchange ex) {
        NodeRegistration reg = Http.read(ex, bodyLimit, NodeRegistration.class);
        if (reg.nodeId() == null || !NODE_ID.matcher(reg.nodeId()).matches()) {
            throw Http.badRequest("node-id: letters, digits, '.', '_' and '-', at most 128, is '" + reg.nodeId() + "'");
        }
        if (reg.publicAddresses().size() > 16) {
            throw Http.badRequest("public-addresses: at most 16");
        }
        if (reg.adminUrl() != null) {
            try {
                URI u = new URI(reg.adminUrl());
                if (u.getHost() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                    throw Http.badRequest("admin-url: not an http or https URL: '" + reg.adminUrl() + "'");
                }
            } catch (java.net.URISyntaxException e) {
                throw Http.badRequest("admin-url: not a URL: '" + reg.adminUrl() + "'");
            }
        }
        NodeView v;
        try {
            v = registry.register(reg);
        } catch (NodeRegistry.NodeIdCollision e) {
            throw new ApiException(409, "node-id-conflict", e.getMessage());
        }
        Http.json(ex, 200, new RegistrationReply(v.nodeId(), v.desiredConfigVersion(), purges.head(), config.heartbeatTimeout()));
    }

    private void heartbeat(HttpServerExchange ex) {
        String id = Http.pathParam(ex, "id");
        Heartbeat hb = Http.read(ex, bodyLimit, Heartbeat.class);
        if (!registry.heartbeat(id, hb)) {
            throw new ApiException(404, "unknown-node", "node '" + id + "' is not registered: register first");
        }
        ex.setStatusCode(204);
    }

    private void ack(HttpServerExchange ex) {
        String id = Http.pathParam(ex, "id");
        Ack ack = Http.read(ex, bodyLimit, Ack.class);
        if (!registry.ack(id, ack)) {
            throw new ApiException(404, "unknown-node", "node '" + id + "' is not registered: register first");
        }
        ex.setStatusCode(204);
    }

    /**
     * Acks are the hottest request (every node, every purge): a purge ack with a declared length
     * is read and applied on the I/O thread, all in memory; anything else takes the blocking path.
     */
    private void fastAck(HttpServerExchange ex) {
        long length = ex.getRequestContentLength();
        if (length < 0 || length > 4096) {
            ex.dispatch(e -> run(e, this::ack));
            return;
        }
        ex.getRequestReceiver().receiveFullBytes((e, bytes) -> run(e, x -> {
            String id = Http.pathParam(x, "id");
            Ack ack = Http.parse(bytes, Ack.class);
            if (ack.configVersion() != null) {
                x.dispatch(y -> run(y, z -> applyAck(z, id, ack)));
                return;
            }
            applyAck(x, id, ack);
        }), (e, err) -> Http.error(e, 400, "bad-request", "cannot read the request body: " + err.getMessage()));
    }

    private void applyAck(HttpServerExchange ex, String id, Ack ack) {
        if (!registry.ack(id, ack)) {
            throw new ApiException(404, "unknown-node", "node '" + id + "' is not registered: register first");
        }
        ex.setStatusCode(204);
        ex.endExchange();
    }

    private HttpHandler subscription() {
        ServerSentEventHandler sse = new ServerSentEventHandler((connection, lastEventId) -> {
            Map<String, java.util.Deque<String>> q = connection.getQueryParameters();
            String id = q.get("id").getFirst();
            long after = Long.parseLong(q.get(CHECKED_AFTER).getFirst());
            long keepalive = Long.parseLong(q.get(CHECKED_KEEPALIVE).getFirst());
            streams.connected(connection, id, after, keepalive);
        });
        return api(Scope.NODE, ex -> {
            String id = Http.pathParam(ex, "id");
            if (registry.node(id).isEmpty()) {
                throw new ApiException(404, "unknown-node", "node '" + id + "' is not registered: register first");
            }
            long after = Http.longParam(ex, FleetProtocol.AFTER, 0);
            if (after < 0) {
                throw Http.badRequest("after must not be negative");
            }
            long keepalive = Http.longParam(ex, FleetProtocol.KEEPALIVE, config.streamKeepalive().toMillis());
            keepalive = Math.max(50, Math.min(60_000, keepalive));
            // the connection callback sees the query parameters, not the exchange's attachments
            ex.getQueryParameters().remove(CHECKED_AFTER);
            ex.getQueryParameters().remove(CHECKED_KEEPALIVE);
            ex.addQueryParam(CHECKED_AFTER, Long.toString(after));
            ex.addQueryParam(CHECKED_KEEPALIVE, Long.toString(keepalive));
            ex.getResponseHeaders().put(HttpString.tryFromString("X-Accel-Buffering"), "no");
            sse.handleRequest(ex);
        }, false);
    }

    // ---- nodes, for operators

    private NodeView node(HttpServerExchange ex) {
        String id = Http.pathParam(ex, "id");
        return registry.node(id).orElseThrow(() -> ApiException.notFound("no node '" + id + "'"));
    }

    private void drain(HttpServerExchange ex, boolean drained) {
        String id = Http.pathParam(ex, "id");
        Http.json(ex, 200, registry.setDrained(id, drained).orElseThrow(() -> ApiException.notFound("no node '" + id + "'")));
    }

    private void removeNode(HttpServerExchange ex) {
        String id = Http.pathParam(ex, "id");
        if (!registry.remove(id)) {
            throw ApiException.notFound("no node '" + id + "'");
        }
        ex.setStatusCode(204);
    }

    // ---- purges

    private void purge(HttpServerExchange ex) {
        Purge p = Http.read(ex, bodyLimit, Purge.class);
        List<String> problems = PurgeLog.problems(p);
        if (!problems.isEmpty()) {
            throw new ApiException(400, "invalid-purge", problems);
        }
        // only purges that would be accepted count: they are what costs the fleet
        long waitMillis = purgeLimiter.acquire(clientKey(ex));
        if (waitMillis > 0) {
            ex.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(Math.max(1, (waitMillis + 999) / 1000)));
            throw new ApiException(429, "rate-limited", "too many purges: retry in " + waitMillis + " ms");
        }
        Duration wait = Http.durationParam(ex, "wait", MAX_WAIT);
        PurgeEvent e = purges.accept(p);
        // the purge just written is known: waiting for it and answering read nothing from the store
        awaitAcks(e.sequence(), wait);
        PurgeStatus s = purges.status(e);
        ex.getResponseHeaders().put(Headers.LOCATION, FleetProtocol.PURGES + "/" + e.sequence());
        Http.json(ex, s.complete() ? 200 : 202, s);
    }

    private String clientKey(HttpServerExchange ex) {
        String key = config.purgeRateLimit().key();
        if (key.startsWith("header:")) {
            String v = ex.getRequestHeaders().getFirst(key.substring(7));
            return v == null ? "-" : v;
        }
        return ex.getSourceAddress().getAddress().getHostAddress();
    }

    private PurgeStatus awaitComplete(long seq, Duration wait) {
        if (seq < 1 || seq > purges.head()) {
            throw ApiException.notFound("no purge #" + seq);
        }
        awaitAcks(seq, wait);
        return purges.status(seq).orElseThrow(() -> ApiException.notFound("no purge #" + seq));
    }

    /** Waits up to {@code wait} for every healthy node to ack purge {@code seq}. */
    private void awaitAcks(long seq, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!purges.isComplete(seq)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            synchronized (changes) {
                try {
                    changes.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 250)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    private void listPurges(HttpServerExchange ex) {
        long after = Http.longParam(ex, "after", Math.max(0, purges.head() - 100));
        long limit = Http.longParam(ex, "limit", 100);
        if (limit < 1 || limit > 1000) {
            throw Http.badRequest("limit must be between 1 and 1000");
        }
        Http.json(ex, 200, purges.after(Math.max(0, after), (int) limit));
    }

    private void purgeStatus(HttpServerExchange ex) {
        String text = Http.pathParam(ex, "seq");
        long seq;
        try {
            seq = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw Http.badRequest("not a purge sequence number: '" + text + "'");
        }
        Duration wait = Http.durationParam(ex, "wait", MAX_WAIT);
        Http.json(ex, 200, awaitComplete(seq, wait));
    }

    // ---- configs

    private DeliveryConfig readConfig(HttpServerExchange ex) {
        byte[] body = Http.body(ex, bodyLimit);
        if (body.length == 0) {
            throw new ApiException(400, "bad-request", "empty body: send the config document (YAML or JSON)");
        }
        String type = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        String name = type != null && type.contains("json") ? "request-body.json" : "request-body.yaml";
        try {
            return ConfigReader.delivery().parse(name, Http.text(body)).value();
        } catch (ConfigException e) {
            throw new ApiException(422, "invalid-config", e.problems());
        }
    }

    private void validateConfig(HttpServerExchange ex) {
        readConfig(ex);
        Http.json(ex, 200, Map.of("valid", true));
    }

    private void pushConfig(HttpServerExchange ex) {
        ConfigTarget target = target(ex);
        DeliveryConfig cfg = readConfig(ex);
        String base = Http.query(ex, "base-version");
        Long baseVersion = base == null ? null : Http.longParam(ex, "base-version", 0);
        ConfigVersion v;
        try {
            v = configs.push(cfg, target, Http.query(ex, "comment"), baseVersion, null);
        } catch (ConfigVersions.Conflict e) {
            throw new ApiException(409, "conflict", e.getMessage());
        }
        ex.getResponseHeaders().put(Headers.LOCATION, FleetProtocol.CONFIGS + "/" + v.version());
        Http.json(ex, 201, v.summary());
    }

    private ConfigTarget target(HttpServerExchange ex) {
        String t = Http.query(ex, "target");
        try {
            return t == null ? null : ConfigTarget.parse(t);
        } catch (IllegalArgumentException e) {
            throw Http.badRequest(e.getMessage());
        }
    }

    private ConfigVersion version(HttpServerExchange ex, String param) {
        String text = Http.pathParam(ex, param);
        if (text.equals("current") || text.equals("latest")) {
            return configs.newest().orElseThrow(() -> ApiException.notFound("no config version yet: push one first"));
        }
        long v;
        try {
            v = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw Http.badRequest("not a version number: '" + text + "'");
        }
        return configs.get(v).orElseThrow(() -> ApiException.notFound("no config version " + v
                + " (newest is " + configs.newest().map(ConfigVersion::version).orElse(0L) + ")"));
    }

    private void diff(HttpServerExchange ex) {
        ConfigVersion a = version(ex, "from");
        ConfigVersion b = version(ex, "to");
        Http.json(ex, 200, configs.diff(a.version(), b.version()).orElseThrow());
    }

    private void rollback(HttpServerExchange ex) {
        ConfigVersion old = version(ex, "version");
        ConfigTarget t = target(ex);
        ConfigVersion v = configs.rollback(old.version(), t, Http.query(ex, "comment")).orElseThrow();
        ex.getResponseHeaders().put(Headers.LOCATION, FleetProtocol.CONFIGS + "/" + v.version());
        Http.json(ex, 201, v.summary());
    }

    // ---- GeoDNS

    private void dnsResolve(HttpServerExchange ex) {
        if (explainDns == null) {
            throw new ApiException(404, "dns-off", "GeoDNS is not running: the control plane has no zone (--zone)");
        }
        String name = Http.query(ex, "name");
        String client = Http.query(ex, "client");
        if (name == null || name.isBlank() || client == null || client.isBlank()) {
            throw Http.badRequest("give name and client, e.g. ?name=www.cdn.example.test&client=203.0.113.7");
        }
        try {
            Http.json(ex, 200, explainDns.apply(name, client));
        } catch (IllegalArgumentException e) {
            throw Http.badRequest(e.getMessage());
        }
    }

    // ---- plumbing

    private interface Action {
        void handle(HttpServerExchange ex) throws Exception;
    }

    private HttpHandler open(Action a) {
        return ex -> run(ex, a);
    }

    private HttpHandler api(Scope scope, Action a) {
        return api(scope, a, true);
    }

    /** Checks the token's scope, then runs {@code a} (on a worker thread when {@code blocking}). */
    private HttpHandler api(Scope scope, Action a, boolean blocking) {
        HttpHandler h = ex -> {
            Set<Scope> scopes = auth.scopes(ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
            if (scopes == null) {
                ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"outpost\"");
                Http.error(ex, 401, "unauthorized", ex.getRequestHeaders().contains(Headers.AUTHORIZATION)
                        ? "the bearer token is not valid" : "missing Authorization: Bearer TOKEN");
                return;
            }
            if (!scopes.contains(scope)) {
                Http.error(ex, 403, "forbidden", "this token has no " + scope.name().toLowerCase(java.util.Locale.ROOT) + " scope");
                return;
            }
            run(ex, a);
        };
        return blocking ? ex -> {
            if (ex.isInIoThread()) {
                ex.dispatch(h);
            } else {
                h.handleRequest(ex);
            }
        } : h;
    }

    private static void run(HttpServerExchange ex, Action a) {
        try {
            a.handle(ex);
            if (!ex.isResponseStarted() && ex.getStatusCode() == 204) {
                ex.endExchange();
            }
        } catch (ApiException e) {
            Http.error(ex, e.status, e.error, e.detail);
        } catch (Store.StoreException e) {
            LOG.error("store failure on {} {}", ex.getRequestMethod(), ex.getRequestPath(), e);
            Http.error(ex, 503, "store-unavailable", "the control plane's store failed: " + e.getMessage());
        } catch (Exception e) {
            LOG.error("failure on {} {}", ex.getRequestMethod(), ex.getRequestPath(), e);
            // the class of an exception means nothing to an API client: the log has the detail
            Http.error(ex, 500, "internal", "unexpected failure; the control plane's log has the detail");
        }
    }

    /** Stops taking requests, closes subscriptions, waits up to {@code grace} for requests in flight. */
    public void stop(Duration grace) {
        if (server == null) {
            return;
        }
        graceful.shutdown();
        streams.closeAll();
        try {
            graceful.awaitShutdown(grace.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        server = null;
    }

    @Override
    public void close() {
        stop(config.shutdownGrace());
    }
}
