package dev.outpost.edge.origin;

import dev.outpost.config.OriginConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import io.micrometer.core.instrument.Counter;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One origin (or the shield tier): a pool of servers behind a name. Per fetch it chooses a
 * server with the configured algorithm among those that are up (active health checks, passive
 * ejection) and below their connection limit, and sends failed idempotent fetches to another
 * server within the retry budget. What counts as a failure and what is retried depends on the
 * {@link PoolKind}.
 *
 * <p>Built by {@link Pools} for one config version; the servers' state (health, ejection,
 * connections in flight, meters) outlives it and carries over to the next version.
 */
public final class OriginPool implements Upstream {

    private static final Logger LOG = LoggerFactory.getLogger(OriginPool.class);
    private static final String CHECK_USER_AGENT = "outpost-health-check";
    /** Host of a shield health check: a name no site has (RFC 2606). */
    static final String SHIELD_CHECK_HOST = "health.outpost.invalid";
    /** The Connection value of an upgrade request (the pipeline sets exactly this). */
    public static final String UPGRADE = "Upgrade";
    /** The detail of a fetch called off because its clients left ({@link Cancellation}). */
    public static final String CLIENT_GONE = "client-gone";

    private final OriginConfig config;
    private final PoolKind kind;
    private final InstantSource clock;
    private final Member[] members;
    private final Balancer balancer;
    private final RetryBudget budget;
    private final Counter panics;
    private final ConnectionGuard guard;
    private final InterimSockets.Counts interims;

    /**
     * One server as this config version sees it: its state, URL, client, weight and limit;
     * {@code tunnelClient} is {@code client} held to HTTP/1.1, since a 101 exists only there.
     */
    record Member(int index, Server server, HttpUrl url, OkHttpClient client, OkHttpClient checkClient, int weight,
                  int maxConnections, OkHttpClient tunnelClient) {
    }

    OriginPool(OriginConfig config, PoolKind kind, OkHttpClient base, InstantSource clock, Map<String, Server> servers,
               Counter panics, ConnectionGuard guard, InterimSockets.Counts interims) {
        this.config = config;
        this.interims = interims;
        this.panics = panics;
        this.guard = guard;
        this.kind = kind;
        this.clock = clock;
        OkHttpClient client = base.newBuilder()
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .writeTimeout(config.readTimeout())
                .callTimeout(config.totalTimeout().isZero() ? Duration.ZERO : config.totalTimeout())
                .eventListenerFactory(CallPhase.factory(guard, interims))
                .build();
        OriginConfig.HealthCheck hc = config.healthCheck();
        OkHttpClient.Builder cb = hc == null ? null : client.newBuilder()
                .connectTimeout(min(config.connectTimeout(), hc.timeout()))
                .readTimeout(hc.timeout())
                .callTimeout(hc.timeout());
        if (cb != null && kind == PoolKind.SHIELD) {
            // only-if-cached keeps the check off the origin; set at the network level, because
            // OkHttp answers only-if-cached itself (a 504) before any connection is made
            cb.addNetworkInterceptor(chain -> chain.proceed(chain.request().newBuilder()
                    .header("Host", SHIELD_CHECK_HOST).header("Cache-Control", "only-if-cached").build()));
        }
        OkHttpClient checks = cb == null ? null : cb.build();
        List<Member> list = new ArrayList<>();
        int[] weights = new int[config.servers().size()];
        String[] labels = new String[weights.length];
        Server[] states = new Server[weights.length];
        for (int i = 0; i < weights.length; i++) {
            OriginConfig.Server s = config.servers().get(i);
            HttpUrl url = HttpUrl.get(s.url());
            String label = label(url);
            Server state = servers.get(label);
            HttpUrl target = url;
            OkHttpClient c = client;
            OkHttpClient cc = checks;
            if (config.sni() != null && url.isHttps() && !config.sni().equalsIgnoreCase(url.host())) {
                SniDns dns = new SniDns(config.sni(), url.host());
                target = url.newBuilder().host(config.sni()).build();
                c = client.newBuilder().dns(dns).build();
                cc = checks == null ? null : checks.newBuilder().dns(dns).build();
            }
            list.add(new Member(i, state, target, c, cc, s.weight(), s.maxConnections(),
                    c.newBuilder().protocols(List.of(okhttp3.Protocol.HTTP_1_1)).build()));
            weights[i] = s.weight();
            labels[i] = label;
            states[i] = state;
        }
        this.members = list.toArray(Member[]::new);
        this.balancer = Balancer.of(config.algorithm(), config.hashOn(), weights, labels, states);
        this.budget = new RetryBudget(config.retry().budget());
    }

    /** {@code scheme://host:port}: how a server is named in meters, logs and rankings. */
    static String label(HttpUrl url) {
        String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
        return url.scheme() + "://" + host + ":" + url.port();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    public OriginConfig config() {
        return config;
    }

    public PoolKind kind() {
        return kind;
    }

    /** The servers' labels, in config order. */
    public List<String> servers() {
        List<String> out = new ArrayList<>();
        for (Member m : members) {
            out.add(m.server().label);
        }
        return out;
    }

    /** Whether a server (by label) takes requests now: healthy and not ejected. */
    public boolean up(String server) {
        long now = clock.millis();
        for (Member m : members) {
            if (m.server().label.equals(server)) {
                return m.server().up(now);
            }
        }
        return false;
    }

    Member[] members() {
        return members;
    }

    // ------------------------------------------------------------------ fetching

    @Override
    public UpstreamResponse fetch(UpstreamRequest request) throws UpstreamException {
        budget.requestStarted();
        try {
            return attempt(request);
        } finally {
            budget.requestEnded();
        }
    }

    private UpstreamResponse attempt(UpstreamRequest request) throws UpstreamException {
        int n = members.length;
        int maxAttempts = 1 + Math.min(config.retry().attempts(), n - 1);
        boolean[] tried = new boolean[n];
        UpstreamException lastError = null;
        UpstreamResponse lastResponse = null;
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            boolean retry = attempt > 0;
            if (retry && !budget.tryRetry()) {
                break;
            }
            try {
                Member m;
                try {
                    m = choose(request, tried);
                } catch (UpstreamException none) {
                    if (!retry) {
                        throw none;
                    }
                    break; // no other server to try: the last answer stands
                }
                tried[m.index()] = true;
                UpstreamResponse resp;
                try {
                    resp = send(m, request);
                } catch (ClientBodyFailure e) {
                    closeQuietly(lastResponse);
                    throw e.error;
                } catch (UpstreamException e) {
                    lastError = e;
                    if (!retryable(request, e) || CLIENT_GONE.equals(e.detail())) {
                        break;
                    }
                    continue;
                }
                if (request.idempotent() && request.body() == null && kind.retryable(resp.status(), resp.headers())
                        && attempt + 1 < maxAttempts) {
                    closeQuietly(lastResponse);
                    lastResponse = resp;
                    continue;
                }
                closeQuietly(lastResponse);
                return resp;
            } finally {
                if (retry) {
                    budget.retryEnded();
                }
            }
        }
        if (lastResponse != null) {
            return lastResponse;
        }
        throw lastError;
    }

    private static boolean retryable(UpstreamRequest request, UpstreamException e) {
        if (e.notSent()) {
            return true; // never reached the server: any method may go elsewhere
        }
        if (!request.idempotent() || request.body() != null && request.body().isOneShot()) {
            return false;
        }
        return e.kind() != UpstreamException.Kind.TIMEOUT; // a slow origin is not made faster by asking again
    }

    /** The server for this attempt, its connection slot taken; or why there is none. */
    private Member choose(UpstreamRequest request, boolean[] tried) throws UpstreamException {
        long now = clock.millis();
        int n = members.length;
        boolean[] eligible = new boolean[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (!tried[i] && members[i].server().up(now)) {
                eligible[i] = true;
                count++;
            }
        }
        if (count == 0 && kind == PoolKind.ORIGIN && !anyTried(tried)) {
            // panic mode (Envoy's): when no server is up, a pool that refused every request
            // would be a total outage of its own making; send to all of them instead
            for (int i = 0; i < n; i++) {
                eligible[i] = true;
            }
            count = n;
            panics.increment();
        }
        boolean atLimit = false;
        while (count > 0) {
            int i = balancer.pick(request, eligible);
            Member m = members[i];
            if (m.server().acquire(m.maxConnections())) {
                return m;
            }
            eligible[i] = false;
            count--;
            atLimit = true;
        }
        String what = kind == PoolKind.SHIELD ? "shield" : "origin " + config.name();
        if (atLimit) {
            throw new UpstreamException(UpstreamException.Kind.NO_SERVER,
                    kind == PoolKind.SHIELD ? "shields-at-limit" : "origin-servers-at-limit",
                    "every server of " + what + " that is up is at its connection limit", true, null);
        }
        throw new UpstreamException(UpstreamException.Kind.NO_SERVER,
                kind == PoolKind.SHIELD ? "shields-down" : "origin-servers-down",
                "no server of " + what + " is up (health checks or ejection)", true, null);
    }

    private static boolean anyTried(boolean[] tried) {
        for (boolean t : tried) {
            if (t) {
                return true;
            }
        }
        return false;
    }

    /** A failure of the client's request body: not the server's fault, never retried. */
    private static final class ClientBodyFailure extends Exception {
        final UpstreamException error;

        ClientBodyFailure(UpstreamException error) {
            super(error.getMessage(), error, false, false);
            this.error = error;
        }
    }

    private UpstreamResponse send(Member m, UpstreamRequest request) throws UpstreamException, ClientBodyFailure {
        Server server = m.server();
        Request.Builder b = new Request.Builder().url(url(m.url(), request.target()));
        for (int i = 0; i < request.headerNames().size(); i++) {
            b.addHeader(request.headerNames().get(i), request.headerValues().get(i));
        }
        if (config.hostHeader() != null) {
            b.header("Host", config.hostHeader());
        }
        CallPhase phase = new CallPhase(guard, interims, request.interim());
        TrackedBody body = request.body() == null ? null : new TrackedBody(request.body(), phase);
        b.method(request.method(), body);
        b.tag(CallPhase.class, phase);
        long n0 = System.nanoTime();
        Response response;
        okhttp3.Call call = null;
        Cancellation cancellation = Cancellation.current();
        try {
            // an upgrade (WebSocket handshake) goes out on HTTP/1.1, the only version with a 101;
            // OkHttp hands over the connection's streams when the server answers it
            OkHttpClient client = UPGRADE.equals(request.header("Connection")) ? m.tunnelClient() : m.client();
            call = client.newCall(b.build());
            if (cancellation != null) {
                cancellation.attach(call);
            }
            response = call.execute();
        } catch (IOException e) {
            server.release();
            if (cancellation != null && cancellation.cancelled()) {
                // called off because no client wants the answer: not the server's failure
                throw new UpstreamException(UpstreamException.Kind.CONNECT, CLIENT_GONE,
                        "cancelled: no client waits for the response any more", false, e);
            }
            if (body != null && body.sourceFailed()) {
                throw new ClientBodyFailure(new UpstreamException(UpstreamException.Kind.CONNECT, "client-body-failed",
                        "request body from the client failed: " + e.getMessage(), false, e));
            }
            server.recordResponse(-1, -1);
            UpstreamException error = classify(server.label, e, phase.sent());
            recordOutcome(server, true);
            LOG.debug("{} {}: {}", kindName(), server.label, error.getMessage());
            throw error;
        } catch (RuntimeException e) {
            server.release();
            throw e;
        }
        server.recordResponse(response.code(), System.nanoTime() - n0);
        recordOutcome(server, kind.failure(response.code(), response.headers(), config.ejection().serverErrors()));
        AtomicBoolean released = new AtomicBoolean();
        return new UpstreamResponse(response, call, server.label, () -> {
            if (released.compareAndSet(false, true)) {
                server.release();
            }
        });
    }

    private void recordOutcome(Server server, boolean failure) {
        long now = clock.millis();
        if (server.recordOutcome(failure, now, config.ejection(), kind == PoolKind.SHIELD || anotherUp(server, now))) {
            LOG.warn("{} server {} ejected for {} after failing live requests", kindName(), server.label,
                    server.ejectedFor(now));
        }
    }

    /** Whether a server of this pool other than {@code server} is up: only then may it be ejected. */
    private boolean anotherUp(Server server, long now) {
        for (Member m : members) {
            if (m.server() != server && m.server().up(now)) {
                return true;
            }
        }
        return false;
    }

    private String kindName() {
        return kind == PoolKind.SHIELD ? "shield" : "origin " + config.name();
    }

    private static void closeQuietly(UpstreamResponse r) {
        if (r != null) {
            r.close();
        }
    }

    static HttpUrl url(HttpUrl server, String target) {
        String base = server.toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        HttpUrl url = HttpUrl.parse(base + target);
        if (url == null) {
            throw new IllegalArgumentException("cannot build upstream URL from " + target);
        }
        return url;
    }

    /** Maps an I/O failure before the response head to what the client will be told. */
    UpstreamException classify(String where, IOException e, boolean sent) {
        boolean shield = kind == PoolKind.SHIELD;
        boolean timeout = e instanceof SocketTimeoutException
                || (e instanceof InterruptedIOException && String.valueOf(e.getMessage()).contains("timeout"));
        if (timeout) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, shield ? "shield-timeout" : null,
                    (sent ? "timeout from " : "timeout connecting to ") + where, !sent, e);
        }
        if (!sent || e instanceof ConnectException || e instanceof NoRouteToHostException
                || e instanceof UnknownHostException) {
            return new UpstreamException(UpstreamException.Kind.CONNECT, shield ? "shield-unreachable" : null,
                    "cannot connect to " + where + ": " + e.getMessage(), !sent, e);
        }
        if (e instanceof ProtocolException || String.valueOf(e.getMessage()).startsWith("Unexpected status line")) {
            // OkHttp's message quotes the bytes it could not parse: on a reused connection they
            // may belong to another response, so they go to the debug log, never to a client
            LOG.debug("invalid response from {}: {}", where, e.getMessage());
            return new UpstreamException(UpstreamException.Kind.PROTOCOL, shield ? "shield-invalid-response" : null,
                    "invalid response from " + where, false, e);
        }
        return new UpstreamException(UpstreamException.Kind.CONNECT, shield ? "shield-unreachable" : null,
                "connection to " + where + " failed: " + e.getMessage(), false, e);
    }

    // ------------------------------------------------------------------ active health checks

    /** Starts the checks that are due (each on its own virtual thread); no-op without health checks. */
    void runDueChecks() {
        OriginConfig.HealthCheck hc = config.healthCheck();
        if (hc == null) {
            return;
        }
        long now = clock.millis();
        for (Member m : members) {
            if (m.server().checkDue(now, hc.interval())) {
                Thread.ofVirtual().name("health-check").start(() -> check(m, hc));
            }
        }
    }

    private void check(Member m, OriginConfig.HealthCheck hc) {
        boolean passed;
        String why;
        try {
            Request.Builder b = new Request.Builder().url(url(m.url(), hc.path())).header("User-Agent", CHECK_USER_AGENT);
            if (kind == PoolKind.ORIGIN && config.hostHeader() != null) {
                b.header("Host", config.hostHeader());
            }
            try (Response r = m.checkClient().newCall(b.build()).execute()) {
                passed = kind.checkPassed(r.code(), r.headers(), hc.expectedStatus());
                why = "status " + r.code();
            }
        } catch (IOException | RuntimeException e) {
            passed = false;
            why = e.toString();
        }
        Server s = m.server();
        boolean before = s.healthy();
        s.checked(passed, hc.fall(), hc.rise());
        boolean after = s.healthy();
        if (before && !after) {
            LOG.warn("{} server {} is down: {} health checks failed in a row (last: {})", kindName(), s.label, hc.fall(), why);
        } else if (!before && after) {
            LOG.info("{} server {} is up again: {} health checks passed in a row", kindName(), s.label, hc.rise());
        }
    }
}
