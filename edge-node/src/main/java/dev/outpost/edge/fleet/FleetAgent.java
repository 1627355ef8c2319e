package dev.outpost.edge.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.outpost.config.ConfigException;
import dev.outpost.config.Durations;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.PemTls;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.TlsSettings;
import dev.outpost.config.fleet.Ack;
import dev.outpost.config.fleet.ConfigVersion;
import dev.outpost.config.fleet.FleetProtocol;
import dev.outpost.config.fleet.Heartbeat;
import dev.outpost.config.fleet.NodeRegistration;
import dev.outpost.config.fleet.NodeStats;
import dev.outpost.config.fleet.Purge;
import dev.outpost.config.fleet.PurgeEvent;
import dev.outpost.config.fleet.RegistrationReply;
import dev.outpost.config.fleet.SyncMarker;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's link to its control plane: it registers, holds a Server-Sent Events subscription,
 * applies config versions and purges in the order the control plane sent them, acks each, and
 * heartbeats with the node's counters. What it applied is persisted in {@code stateDir}, so a
 * node restarting while the control plane is away serves with its last applied config.
 *
 * <p>Hits and freshness: {@link #start()} turns hits off ({@link FleetHooks#hitsAllowed}) until
 * the node has caught up (current config, then every missed purge, in order). Every reconnect
 * does the same, so a node that was cut off replays what it missed before its next hit. Cut off
 * for longer than {@code disconnected-bound}, the node follows {@code disconnected-policy}:
 * {@code serve} keeps (or turns back on) hits, trading purge freshness for origin offload;
 * {@code revalidate} turns hits off until it has caught up, trading origin load for never serving
 * content a missed purge removed.
 *
 * <p>Several control-plane replicas ({@code control-plane} lists their URLs): the agent stays on
 * one and moves to the next as soon as its subscription ends or a heartbeat goes unanswered,
 * resuming from the last purge sequence it applied (replicas share one log, so the numbers mean
 * the same everywhere): nothing is missed and nothing applied twice. It backs off only once
 * every replica has failed in a row. Every request to a control plane (connecting, registering,
 * opening the subscription up to its response head, heartbeats, acks) gives up after
 * {@link #replicaTimeout} (half a heartbeat interval, within 0.5 s..5 s), so a replica that
 * accepts connections but answers nothing costs at most that before the agent moves on: it is
 * subscribed and caught up on another one within one heartbeat interval of the first heartbeat
 * that replica left unanswered, and within one interval of a replica that dies outright (its
 * subscription ends at once).
 *
 * <p>The data plane never waits on this agent: it calls the hooks from its own threads.
 */
public final class FleetAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetAgent.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration MIN_REPLICA_TIMEOUT = Duration.ofMillis(500);
    private static final Duration MAX_REPLICA_TIMEOUT = Duration.ofSeconds(5);
    /** How long {@link #close()} waits for the loop and the timers. */
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(5);

    /** Where the agent is with its control plane. */
    public enum State {
        /** no control plane configured: nothing to do */
        STANDALONE,
        /** registering or opening the subscription */
        CONNECTING,
        /** subscribed, replaying config and missed purges */
        CATCHING_UP,
        /** caught up and receiving live events */
        CONNECTED,
        /** cut off; retrying */
        DISCONNECTED,
        /** closed */
        CLOSED,
        /** the control plane refused the node's id: another live node holds it; no retries */
        REFUSED
    }

    /**
     * What the agent reports about itself (the node's admin listener may show it).
     *
     * @param state where it is with its control plane
     * @param configVersion config version applied (0: none)
     * @param purgeSequence last purge applied
     * @param hitsAllowed what it last told the node
     * @param disconnectedSince when it lost (or never had) its subscription; null while connected
     * @param boundExceeded cut off for longer than {@code disconnected-bound}
     * @param lastError the last failure talking to the control plane, if any
     */
    public record Status(State state, long configVersion, long purgeSequence, boolean hitsAllowed,
                         Instant disconnectedSince, boolean boundExceeded, String lastError) {
    }

    private final NodeConfig node;
    private final FleetHooks hooks;
    private final InstantSource clock;
    private final Path stateDir;
    private final String adminUrl;
    private final List<URI> bases;
    private volatile int current;
    private volatile URI base;
    private final HttpClient http;
    private final Duration keepalive;
    private final Duration replicaTimeout;
    private final ScheduledExecutorService timers;
    private final ExecutorService acks;
    private final AtomicLong purgeAckSent = new AtomicLong(-1);

    private volatile FleetState state = FleetState.EMPTY;
    private volatile State status = State.STANDALONE;
    private volatile boolean hitsAllowed = true;
    private volatile Instant disconnectedSince;
    private volatile boolean boundExceeded;
    private volatile String lastError;
    private volatile boolean registered;
    private volatile boolean closed;
    private volatile String instance;
    private volatile InputStream stream;
    private volatile long lastByteNanos;
    private Thread loop;
    private final Object sleeper = new Object();

    /**
     * @param node the node's config: control plane URL, token, identity, heartbeat interval,
     *     disconnected bound and policy
     * @param hooks how the agent acts on the node
     * @param clock judges the disconnected bound
     * @param stateDir where the last applied config and purge sequence are kept
     * @param adminUrl the node's admin listener URL, registered with the control plane
     */
    public FleetAgent(NodeConfig node, FleetHooks hooks, InstantSource clock, Path stateDir, String adminUrl) {
        this.node = node;
        this.hooks = hooks;
        this.clock = clock;
        this.stateDir = stateDir;
        this.adminUrl = adminUrl;
        this.bases = node.controlPlanes().stream()
                .map(cp -> URI.create(cp.endsWith("/") ? cp.substring(0, cp.length() - 1) : cp)).toList();
        this.base = bases.isEmpty() ? null : bases.getFirst();
        this.replicaTimeout = replicaTimeout(node.heartbeatInterval());
        this.http = base == null ? null : client(node, base, replicaTimeout);
        Duration hb = node.heartbeatInterval();
        // the stream's keep-alive follows the heartbeat, within 1s..15s; three silent intervals mean a dead link
        this.keepalive = hb.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : hb.compareTo(Duration.ofSeconds(15)) > 0 ? Duration.ofSeconds(15) : hb;
        this.timers = Executors.newScheduledThreadPool(2, r -> daemon(r, "fleet-agent-timers"));
        this.acks = Executors.newSingleThreadExecutor(r -> daemon(r, "fleet-agent-acks"));
    }

    /**
     * The HTTP client toward the control plane. Over https with the node's {@code tls} set, the
     * node presents its certificate (mutual TLS) and trusts {@code tls.client-ca}, the fleet's CA;
     * otherwise the JVM's default trust applies.
     */
    private static HttpClient client(NodeConfig node, URI base, Duration connectTimeout) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout);
        TlsSettings tls = node.tls();
        if ("https".equalsIgnoreCase(base.getScheme()) && tls != null && tls.certificate() != null && tls.privateKey() != null) {
            try {
                b.sslContext(PemTls.context(Path.of(tls.certificate()), Path.of(tls.privateKey()),
                        tls.clientCa() == null ? null : Path.of(tls.clientCa())));
            } catch (IOException e) {
                throw new ConfigException("tls: cannot use the node's certificate toward the control plane: " + e.getMessage());
            }
        }
        return b.build();
    }

    /**
     * The longest one request to a control plane may take before the agent gives up on that
     * replica: half the heartbeat interval, so that the move to another replica and its catch-up
     * fit in the other half; at least 0.5 s (a loaded replica registering a node in etcd is not a
     * dead one) and at most 5 s.
     */
    static Duration replicaTimeout(Duration heartbeatInterval) {
        Duration half = heartbeatInterval.dividedBy(2);
        return half.compareTo(MIN_REPLICA_TIMEOUT) < 0 ? MIN_REPLICA_TIMEOUT
                : half.compareTo(MAX_REPLICA_TIMEOUT) > 0 ? MAX_REPLICA_TIMEOUT : half;
    }

    /** The longest one request to a control plane may take (see {@link #replicaTimeout(Duration)}). */
    public Duration replicaTimeout() {
        return replicaTimeout;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Applies the persisted config (if any) and, with a control plane configured, turns hits off
     * and connects in the background. Returns at once; the node may serve right away.
     */
    public synchronized void start() {
        try {
            state = FleetState.load(stateDir);
        } catch (IOException | RuntimeException e) {
            LOG.warn("fleet state in {} unreadable ({}); starting from nothing: every purge will be replayed", stateDir, e.getMessage());
            state = FleetState.EMPTY;
        }
        if (base != null) {
            // before anything is served: purges may have been missed while the node was down
            setHits(false, "starting: catching up with the control plane", true);
        }
        if (state.config() != null) {
            try {
                hooks.applyConfig(state.configVersion(), state.config());
                LOG.info("applied persisted config v{}", state.configVersion());
            } catch (RuntimeException e) {
                LOG.warn("persisted config v{} refused: {}", state.configVersion(), e.getMessage());
                state = new FleetState(0, null, state.purgeSequence());
            }
        }
        if (base == null) {
            status = State.STANDALONE;
            return;
        }
        instance = instanceName(stateDir);
        disconnectedSince = clock.instant();
        status = State.CONNECTING;
        loop = new Thread(this::run, "fleet-agent");
        loop.setDaemon(true);
        loop.start();
        long hbMillis = Math.max(10, node.heartbeatInterval().toMillis());
        timers.scheduleWithFixedDelay(this::heartbeat, hbMillis, hbMillis, TimeUnit.MILLISECONDS);
        long check = Math.max(20, Math.min(200, node.disconnectedBound().toMillis() / 10));
        timers.scheduleWithFixedDelay(this::watchdog, check, check, TimeUnit.MILLISECONDS);
    }

    /** Where the agent is now. */
    public Status status() {
        FleetState s = state;
        return new Status(status, s.configVersion(), s.purgeSequence(), hitsAllowed, disconnectedSince, boundExceeded, lastError);
    }

    /**
     * Stops: the subscription is closed and the loop ends without being interrupted, so a state
     * file being written is written whole.
     */
    @Override
    public void close() {
        closed = true;
        status = State.CLOSED;
        closeStream();
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        timers.shutdownNow();
        acks.shutdown();
        if (http != null) {
            http.shutdownNow();
        }
        long deadline = System.nanoTime() + CLOSE_BOUND.toNanos();
        Thread t = loop;
        try {
            if (t != null) {
                t.join(leftMillis(deadline));
            }
            acks.shutdownNow();
            // a heartbeat or ack in flight ends with its request's timeout at the latest
            boolean timersDone = timers.awaitTermination(leftMillis(deadline), TimeUnit.MILLISECONDS);
            boolean acksDone = acks.awaitTermination(leftMillis(deadline), TimeUnit.MILLISECONDS);
            if (!timersDone || !acksDone || (t != null && t.isAlive())) {
                LOG.warn("fleet agent not stopped within {}; leaving its threads (daemons) behind", Durations.format(CLOSE_BOUND));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long leftMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    // ---- the subscription loop

    private void run() {
        Duration backoff = MIN_BACKOFF;
        int failedInARow = 0;
        while (!closed) {
            boolean synced = false;
            try {
                synced = session();
            } catch (InterruptedException e) {
                break;
            } catch (IdRefused e) {
                lastError = e.getMessage();
                status = State.REFUSED;
                LOG.error("control plane {} refused this node: {}", base, e.getMessage());
                hooks.refused(e.getMessage());
                break;
            } catch (Exception e) {
                if (!closed) {
                    lastError = describe(e);
                    LOG.warn("control plane {}: {}", base, lastError);
                }
            } finally {
                closeStream();
            }
            if (closed) {
                break;
            }
            if (status != State.DISCONNECTED) {
                // the loss's time first: whoever sees DISCONNECTED also sees since when
                if (disconnectedSince == null) {
                    disconnectedSince = clock.instant();
                }
                status = State.DISCONNECTED;
            }
            failedInARow = synced ? 1 : failedInARow + 1;
            if (bases.size() > 1) {
                // several replicas: move to the next one at once; back off only once every one failed
                current = (current + 1) % bases.size();
                base = bases.get(current);
                LOG.info("moving to control plane {}", base);
                if (failedInARow < bases.size()) {
                    continue;
                }
                failedInARow = 0;
            }
            backoff = synced ? MIN_BACKOFF : backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            long jitter = (long) (backoff.toMillis() * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
            synchronized (sleeper) {
                try {
                    if (!closed) {
                        sleeper.wait(jitter);
                    }
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
    }

    /** One connection: register, subscribe, apply events until the stream ends. True if it got as far as synced. */
    private boolean session() throws IOException, InterruptedException {
        status = State.CONNECTING;
        FleetState s = state;
        NodeRegistration reg = new NodeRegistration(node.nodeId(), node.region(), node.role(), node.coordinates(),
                node.publicAddress() == null ? List.of() : List.of(node.publicAddress()), adminUrl,
                s.configVersion(), s.purgeSequence(), instance);
        HttpResponse<String> r = http.send(request(FleetProtocol.REGISTER).POST(body(reg)).timeout(replicaTimeout).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 409) {
            throw new IdRefused(errorDetail(r.body()));
        }
        check(r.statusCode(), r.body(), "register");
        RegistrationReply reply = OutpostJson.json().readValue(r.body(), RegistrationReply.class);
        registered = true;
        // a reconnect: whatever was missed is replayed before the next hit
        setHits(false, "reconnected: replaying missed purges");
        status = State.CATCHING_UP;
        URI events = URI.create(base + FleetProtocol.events(node.nodeId()) + "?" + FleetProtocol.AFTER + "="
                + state.purgeSequence() + "&" + FleetProtocol.KEEPALIVE + "=" + keepalive.toMillis());
        // the timeout runs until the response head: the stream itself is watched for silence (watchdog)
        HttpResponse<InputStream> sub = http.send(request(events).header("Accept", "text/event-stream").GET()
                        .timeout(replicaTimeout).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (sub.statusCode() != 200) {
            String text;
            try (InputStream in = sub.body()) {
                text = new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
            }
            check(sub.statusCode(), text, "subscribe");
        }
        stream = sub.body();
        lastByteNanos = System.nanoTime();
        LOG.info("subscribed to {} after purge #{} (config v{}, log head #{})", base, state.purgeSequence(),
                state.configVersion(), reply.purgeSequence());
        SseReader reader = new SseReader(stream, () -> lastByteNanos = System.nanoTime());
        boolean synced = false;
        for (SseReader.Event e = reader.next(); e != null && !closed; e = reader.next()) {
            switch (e.event()) {
                case FleetProtocol.EVENT_CONFIG -> config(OutpostJson.json().readValue(e.data(), ConfigVersion.class));
                case FleetProtocol.EVENT_PURGE -> purge(OutpostJson.json().readValue(e.data(), PurgeEvent.class));
                case FleetProtocol.EVENT_SYNCED -> {
                    synced(OutpostJson.json().readValue(e.data(), SyncMarker.class));
                    synced = true;
                }
                default -> LOG.debug("ignored event {}", e.event());
            }
        }
        if (!closed) {
            lastError = "subscription ended by the control plane";
            LOG.warn("control plane {}: subscription ended", base);
        }
        return synced;
    }

    private void config(ConfigVersion v) throws IOException {
        if (v.version() == state.configVersion()) {
            sendAck(Ack.config(v.version()));
            return;
        }
        try {
            hooks.applyConfig(v.version(), v.config());
        } catch (ConfigException e) {
            LOG.error("config v{} refused: {}", v.version(), e.getMessage());
            sendAck(Ack.configRefused(v.version(), e.getMessage()));
            return;
        } catch (RuntimeException e) {
            LOG.error("config v{} failed to apply", v.version(), e);
            sendAck(Ack.configRefused(v.version(), describe(e)));
            return;
        }
        FleetState next = state.withConfig(v.version(), v.config());
        next.save(stateDir); // on disk before it counts as applied
        state = next;
        LOG.info("config v{} applied", v.version());
        sendAck(Ack.config(v.version()));
    }

    private void purge(PurgeEvent e) throws IOException {
        if (e.sequence() <= state.purgeSequence()) {
            return; // already applied (a replay overlapping what we had)
        }
        hooks.applyPurge(e.purge()); // a failure ends the session: the purge is retried, never skipped
        FleetState next = state.withPurge(e.sequence());
        next.save(stateDir);
        state = next;
        ackPurges();
    }

    private void synced(SyncMarker m) throws IOException {
        if (m.purgeSequence() < state.purgeSequence()) {
            // the control plane's log is behind ours: its store was replaced. What it had is unknown: purge all.
            LOG.warn("control plane purge log ends at #{} but this node applied up to #{}: purging everything",
                    m.purgeSequence(), state.purgeSequence());
            hooks.applyPurge(new Purge(Purge.Kind.ALL, List.of(), false));
            FleetState next = state.withPurge(m.purgeSequence());
            next.save(stateDir);
            state = next;
            purgeAckSent.set(-1);
        }
        ackPurges();
        disconnectedSince = null;
        boundExceeded = false;
        lastError = null;
        setHits(true, "caught up: config v" + state.configVersion() + ", purge #" + state.purgeSequence());
        status = State.CONNECTED; // after the hooks were told
    }

    // ---- acks and heartbeats (their own threads; a lost one is made good by the next heartbeat)

    private void ackPurges() {
        acks.execute(() -> {
            long seq = state.purgeSequence();
            if (purgeAckSent.get() >= seq) {
                return;
            }
            if (post(FleetProtocol.acks(node.nodeId()), Ack.purge(seq))) {
                purgeAckSent.accumulateAndGet(seq, Math::max);
            }
        });
    }

    private void sendAck(Ack ack) {
        acks.execute(() -> post(FleetProtocol.acks(node.nodeId()), ack));
    }

    private void heartbeat() {
        if (!registered || closed) {
            return;
        }
        NodeStats stats;
        try {
            stats = hooks.stats();
        } catch (RuntimeException e) {
            stats = null;
        }
        FleetState s = state;
        URI to = base;
        if (!post(FleetProtocol.heartbeat(node.nodeId()), new Heartbeat(stats, s.configVersion(), s.purgeSequence()))
                && bases.size() > 1 && to.equals(base) && !closed) {
            // the replica did not take the heartbeat: it is gone or cut off from its store. With
            // other replicas, leave it now rather than after three silent keep-alives
            LOG.warn("control plane {} did not take a heartbeat; moving on", to);
            lastError = "heartbeat refused or unanswered by " + to;
            closeStream();
        }
    }

    private boolean post(String path, Object body) {
        URI to = base;
        try {
            HttpResponse<String> r = http.send(request(path).POST(body(body)).timeout(replicaTimeout).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404 && r.body().contains("unknown-node")) {
                LOG.warn("control plane forgot this node; registering again");
                registered = false;
                closeStream();
            }
            return r.statusCode() / 100 == 2;
        } catch (IOException e) {
            if (bases.size() > 1 && to.equals(base) && !closed) {
                // unanswered within the replica timeout, or refused: with other replicas, leave this one now
                // (its stream may still look open: a hung replica closes nothing)
                LOG.warn("control plane {} did not answer {}: {}; moving on", to, path, describe(e));
                lastError = "no answer from " + to + " to " + path + ": " + describe(e);
                closeStream();
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ---- the disconnected bound

    private void watchdog() {
        try {
            if (status == State.CONNECTED || status == State.CATCHING_UP) {
                long silent = System.nanoTime() - lastByteNanos;
                if (stream != null && silent > keepalive.toNanos() * 3) {
                    LOG.warn("subscription silent for {} ms; reconnecting", TimeUnit.NANOSECONDS.toMillis(silent));
                    lastError = "subscription silent for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms";
                    closeStream();
                }
            }
            Instant since = disconnectedSince;
            if (since == null || status == State.CONNECTED || closed) {
                return;
            }
            if (!boundExceeded && Duration.between(since, clock.instant()).compareTo(node.disconnectedBound()) > 0) {
                LOG.warn("cut off from the control plane for over {}: policy {}", Durations.format(node.disconnectedBound()),
                        OutpostJson.kebab(node.disconnectedPolicy()));
                if (node.disconnectedPolicy() == NodeConfig.DisconnectedPolicy.SERVE) {
                    setHits(true, "disconnected-policy serve: serving hits while cut off");
                } else {
                    setHits(false, "disconnected-policy revalidate: revalidating every hit while cut off");
                }
                boundExceeded = true; // after the hooks were told, so the status never runs ahead of them
            }
        } catch (RuntimeException e) {
            LOG.warn("fleet watchdog failed", e);
        }
    }

    private void setHits(boolean allowed, String why) {
        setHits(allowed, why, false);
    }

    private synchronized void setHits(boolean allowed, String why, boolean always) {
        if (hitsAllowed == allowed && !always) {
            return;
        }
        boolean changed = hitsAllowed != allowed;
        hitsAllowed = allowed;
        hooks.hitsAllowed(allowed);
        if (changed) {
            LOG.info("hits {}: {}", allowed ? "allowed" : "revalidated", why);
        }
    }

    // ---- plumbing

    private HttpRequest.Builder request(String path) {
        return request(URI.create(base + path));
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Content-Type", "application/json");
        if (node.token() != null) {
            b.header("Authorization", "Bearer " + node.token());
        }
        return b;
    }

    private static HttpRequest.BodyPublisher body(Object o) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(OutpostJson.json().writeValueAsBytes(o));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(int status, String body, String what) throws IOException {
        if (status / 100 == 2) {
            return;
        }
        String hint = status == 401 ? " (is --token the control plane's node token?)"
                : status == 403 ? " (the token lacks node scope)" : "";
        throw new IOException(what + " answered " + status + hint + ": " + body.strip());
    }

    private void closeStream() {
        InputStream s = stream;
        stream = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** The control plane's 409 on registration: another live node holds this node's id. */
    private static final class IdRefused extends IOException {
        IdRefused(String message) {
            super(message);
        }
    }

    /** The {@code detail} of a control-plane error body, or the body as it is. */
    private static String errorDetail(String body) {
        try {
            com.fasterxml.jackson.databind.JsonNode detail = OutpostJson.json().readTree(body).get("detail");
            if (detail != null && detail.isTextual()) {
                return detail.asText();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the body says it
        }
        return body.strip();
    }

    /**
     * This node's instance name, kept in its state directory: the same across restarts of the
     * node, different for another node (which cannot share the data directory), so the control
     * plane can tell a restart from two nodes given one id.
     */
    private static String instanceName(Path dir) {
        Path f = dir.resolve("instance");
        try {
            if (Files.exists(f)) {
                String name = Files.readString(f).strip();
                if (!name.isEmpty()) {
                    return name;
                }
            }
            Files.createDirectories(dir);
            String name = java.util.UUID.randomUUID().toString();
            Files.writeString(f, name);
            return name;
        } catch (IOException e) {
            LOG.warn("cannot keep an instance name in {} ({}); registering without one", dir, e.getMessage());
            return null;
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
