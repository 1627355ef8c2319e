package dev.outpost.edge.proxy;

import dev.outpost.config.Cidr;
import dev.outpost.config.HttpLimits;
import dev.outpost.config.NodeConfig;
import dev.outpost.config.Rule;
import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.cache.Fill;
import dev.outpost.edge.cache.TieredCache;
import dev.outpost.edge.compress.AcceptEncodingKey;
import dev.outpost.edge.compress.Compression;
import dev.outpost.edge.compress.EncodingStream;
import dev.outpost.edge.compress.Encoders;
import dev.outpost.edge.http.CacheControl;
import dev.outpost.edge.http.CacheStatus;
import dev.outpost.edge.http.Conditionals;
import dev.outpost.edge.http.HttpDates;
import dev.outpost.edge.http.Methods;
import dev.outpost.edge.http.Ranges;
import dev.outpost.edge.http.RequestTarget;
import dev.outpost.edge.http.Statuses;
import dev.outpost.edge.http.StoreDecision;
import dev.outpost.edge.http.StoragePolicy;
import dev.outpost.edge.log.AccessLog;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.metrics.Outcome;
import dev.outpost.edge.origin.Cancellation;
import dev.outpost.edge.origin.OriginPool;
import dev.outpost.edge.origin.UpstreamException;
import dev.outpost.edge.origin.UpstreamRequest;
import dev.outpost.edge.origin.UpstreamResponse;
import dev.outpost.edge.rules.CacheKeys;
import dev.outpost.edge.rules.RuleSet;
import dev.outpost.edge.shield.HealthProbe;
import io.undertow.server.Connectors;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import okhttp3.RequestBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request pipeline of a node. On the I/O thread it validates the request, normalises host
 * and target, picks the rule and answers fresh memory hits directly from their buffers. All
 * else (disk hits, misses, revalidation, requests passed upstream) runs on a virtual thread:
 * lookups in both tiers, request collapsing, storage through a {@link Fill} that clients read
 * while it streams, stale-while-revalidate and stale-if-error.
 */
public final class ProxyHandler implements HttpHandler {

    private static final io.undertow.util.AttachmentKey<String> PEER_IP = io.undertow.util.AttachmentKey.create(String.class);

    private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
    /** Bodies up to this size (with a Content-Length) are read by the leader before waiters are released. */
    private static final long INLINE_FILL = 64 * 1024;

    private final NodeConfig node;
    private final String cacheId;
    private final String hitTtlPrefix;
    private final Supplier<Delivery> delivery;
    private final TieredCache cache;
    private final StoragePolicy policy;
    private final EdgeMetrics metrics;
    private final AccessLog accessLog;
    private final InstantSource clock;
    private final BooleanSupplier hitsAllowed;
    private final ExecutorService executor;
    private final ResponseWriter writer;
    private final UpstreamRequests upstreamRequests;
    private final Collapser collapser = new Collapser();
    private final HitForPass hitForPass;
    private final List<Cidr> trusted;
    private final HttpLimits limits;
    private final RateLimiter rateLimiter;
    private final OriginBudget originBudget;
    private final SliceFetcher slices;
    private final IoBatches ioBatches = new IoBatches();
    private final dev.outpost.edge.tunnel.Tunnels tunnels;
    private final Upgrades upgrades;
    private final ClientAborts aborts;
    /** Encoder slots: {@code limits.max-concurrent-compressions} bodies compressed at once. */
    private final java.util.concurrent.Semaphore compressionSlots;

    public ProxyHandler(NodeConfig node, Supplier<Delivery> delivery, TieredCache cache, EdgeMetrics metrics,
                        AccessLog accessLog, InstantSource clock, BooleanSupplier hitsAllowed, ExecutorService executor) {
        this.node = node;
        this.cacheId = CacheStatus.identifier(node.nodeId());
        this.hitTtlPrefix = CacheStatus.hitTtlPrefix(cacheId);
        this.delivery = delivery;
        this.cache = cache;
        this.policy = new StoragePolicy(node.cache());
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.clock = clock;
        this.hitsAllowed = hitsAllowed;
        this.executor = executor;
        this.limits = node.limits();
        this.compressionSlots = new java.util.concurrent.Semaphore(node.limits().maxConcurrentCompressions());
        this.writer = new ResponseWriter(new SlowReaders(limits.writeTimeout().toMillis(),
                limits.slowReaderMemory().bytes(), metrics.registry()), 120_000);
        cache.promoteOnlyWhile(writer::slowReadersUnderBudget);
        this.upstreamRequests = new UpstreamRequests(node.nodeId());
        this.aborts = new ClientAborts(metrics.registry());
        this.rateLimiter = new RateLimiter(clock, limits.rateLimitMemory().bytes(), metrics.registry());
        this.originBudget = new OriginBudget(limits.originBytesPerClient().bytes(), limits.originBytesWindow(),
                limits.originBytesMemory().bytes(), clock, metrics.registry());
        this.slices = new SliceFetcher(this, cache, policy, writer, upstreamRequests, metrics, clock, cacheId);
        this.hitForPass = new HitForPass(node.cache().hitForPass(), node.cache().hitForPassMemory().bytes(), clock,
                metrics.registry());
        List<Cidr> cidrs = new ArrayList<>();
        for (String c : node.trustedProxies()) {
            cidrs.add(Cidr.parse(c));
        }
        this.trusted = List.copyOf(cidrs);
        this.tunnels = new dev.outpost.edge.tunnel.Tunnels(limits, clock, metrics.registry());
        this.upgrades = new Upgrades(tunnels, writer, upstreamRequests, metrics, accessLog, cacheId, executor, limits,
                this::finish);
    }

    // ------------------------------------------------------------------ I/O thread

    @Override
    public void handleRequest(HttpServerExchange ex) {
        long start = System.nanoTime();
        long now = clock.millis();
        String invalid = framingProblem(ex);
        if (invalid != null) {
            reject(ex, start, 400, invalid, true);
            return;
        }
        if (HealthProbe.isProbe(ex)) {
            metrics.healthCheck();
            HealthProbe.answer(ex);
            return;
        }
        String method = ex.getRequestMethod().toString();
        String protocol = ex.getProtocol().toString();
        if (!protocol.equals("HTTP/1.1") && !protocol.equals("HTTP/2.0") && !protocol.equals("HTTP/1.0")) {
            reject(ex, start, 505, "HTTP version not supported: " + protocol, true);
            return;
        }
        int lineLength = method.length() + ex.getRequestURI().length() + ex.getQueryString().length() + protocol.length() + 3;
        if (lineLength > limits.maxRequestLine().bytes()) {
            reject(ex, start, 414, "request line longer than " + limits.maxRequestLine(), true);
            return;
        }
        String tooLarge = headersTooLarge(ex);
        if (tooLarge != null) {
            reject(ex, start, 431, tooLarge, true);
            return;
        }
        if (ex.isHostIncludedInRequestURI()) {
            reject(ex, start, 400, "absolute-form request targets are not accepted", true);
            return;
        }
        RequestTarget target;
        try {
            String raw = ex.getRequestURI();
            String query = ex.getQueryString();
            target = RequestTarget.parse(query == null || query.isEmpty() ? raw
                    : raw + "?" + query);
        } catch (RequestTarget.InvalidTargetException e) {
            reject(ex, start, 400, e.getMessage(), true);
            return;
        }
        HeaderValues hostValues = ex.getRequestHeaders().get(Headers.HOST);
        if (hostValues == null || hostValues.size() != 1) {
            reject(ex, start, 400, hostValues == null ? "missing Host" : "more than one Host", true);
            return;
        }
        InetSocketAddress peer = ex.getSourceAddress();
        boolean https = ClientScheme.https(ex, peer != null && !trusted.isEmpty() && isTrusted(peer.getAddress()));
        String host = RequestTarget.normaliseHost(hostValues.getFirst(), https);
        if (host == null) {
            reject(ex, start, 400, "invalid Host", true);
            return;
        }
        String hostNoPort = stripPort(host);
        Delivery d = delivery.get();
        if (!d.rules().hostAllowed(hostNoPort)) {
            int status = d.config().unknownHostStatus();
            reject(ex, start, status, status == 421 ? "this node does not serve " + hostNoPort : "not found", false);
            return;
        }
        if (method.equals("CONNECT") || method.equals("TRACE")) {
            ex.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
            reject(ex, start, 405, method + " is not allowed", false);
            return;
        }
        Hop.dropConnectionOptions(ex.getRequestHeaders());
        Rule rule = d.rules().match(hostNoPort, target.path(), method);
        String peerIp = peerIp(ex, peer);
        String clientIp = clientIp(ex, peer, peerIp);
        if (rule.rateLimit() != null) {
            String key = clientIp;
            if (rule.rateLimit().key().startsWith("header:")) {
                String v = ex.getRequestHeaders().getFirst(rule.rateLimit().key().substring(7));
                key = v == null ? clientIp : "h:" + v;
            }
            long wait = rateLimiter.acquire(rule.name(), rule.rateLimit(), key);
            if (wait > 0) {
                ex.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(Math.max(1, (wait + 999) / 1000)));
                reject(ex, start, 429, "rate limit exceeded", false);
                return;
            }
        }
        RequestContext ctx = new RequestContext(ex, start, now, method, host, hostNoPort, target, https, d, rule,
                clientIp, UpstreamRequests.fromFleet(ex.getRequestHeaders()));
        if (rule.compress() != null && rule.compress().enabled()) {
            // one encoding per client: the variant it is served, and what the origin is asked for
            ctx.encoding = Compression.noTransform(ctx.headers.all("cache-control")) ? AcceptEncodingKey.IDENTITY
                    : AcceptEncodingKey.choose(ctx.headers.all("accept-encoding"), Encoders.usable(rule.compress().encodings()));
        }
        if (upstreamRequests.isLoop(ctx)) {
            ctx.outcome = Outcome.ERROR;
            writer.plain(ctx, ex, 508, CacheStatus.forward(cacheId, "bypass").detail("loop-detected").toString(),
                    "request loop detected: it already passed through " + node.nodeId());
            finish(ctx);
            return;
        }
        if (Upgrades.asked(ex) && upgrades.handle(ctx, peerIp, peer != null && isTrusted(peer.getAddress()))) {
            return; // WebSocket and other upgrades: refused, or on their way to become a tunnel
        }
        if (RuleSet.CACHEABLE_METHODS.contains(method) && hasBody(ex)) {
            // never forwarded, whatever the rule: a body on GET or HEAD has no meaning (RFC 9110
            // §9.3.1), and one left unread would sit on the connection in front of the next request
            reject(ex, start, 400, "a " + method + " request must not carry a body", true);
            return;
        }
        boolean cacheable = RuleSet.CACHEABLE_METHODS.contains(method) && !rule.bypass();
        if (cacheable) {
            ctx.urlKey = CacheKeys.urlKey(host, target.path(), target.query(), rule.cacheKey());
            ctx.primaryKey = CacheKeys.primaryKey(ctx.urlKey, rule.cacheKey(), https, ctx.headers);
            if (tryMemoryHit(ctx)) {
                return;
            }
            watch(ctx);
            if (joinMissInFlight(ctx, peerIp, peer)) {
                return;
            }
        } else {
            ctx.urlKey = CacheKeys.urlKey(host, target.path(), target.query(), rule.cacheKey());
            ctx.primaryKey = ctx.urlKey;
            watch(ctx);
        }
        ex.dispatch(executor, () -> run(ctx, cacheable, peerIp, peer));
    }

    /** A fresh memory hit answered without leaving the I/O thread; false when the request needs more. */
    private boolean tryMemoryHit(RequestContext ctx) {
        if (!hitsAllowed.getAsBoolean() || ctx.clientWantsValidation() || ctx.requestCc.present() && !simpleDirectives(ctx)) {
            return false;
        }
        TieredCache.Hit hit = cache.memoryHit(ctx.primaryKey, ctx::variantKey);
        if (hit == null || hit.memoryBody() == null) {
            return false;
        }
        CachedResponse r = hit.response();
        if (!r.isFresh(ctx.now)) {
            return false;
        }
        String cs = hitTtlPrefix + r.ttl(ctx.now) / 1000;
        ctx.outcome = Outcome.HIT;
        ctx.tier = EdgeMetrics.MEMORY;
        if (!writer.serveMemory(ctx, r, hit.memoryBody(), r.age(ctx.now), cs)) {
            ctx.outcome = Outcome.MISS;
            ctx.tier = EdgeMetrics.NONE;
            return false;
        }
        cache.touch(hit);
        finish(ctx);
        return true;
    }

    /**
     * Watches the client of a request that leaves the hit path: a client that leaves while the
     * request waits gets its connection closed at once (no CLOSE-WAIT) and gives up its share of
     * the fetch it waits on (see {@link #onLeave}).
     */
    private void watch(RequestContext ctx) {
        ctx.watch = ClientWatch.start(ctx.exchange);
        if (ctx.watch != null) {
            ctx.watch.whenGone(() -> aborts.left(ClientAborts.Stage.LOOKUP, false));
        }
    }

    /**
     * From now on the client leaving counts at {@code stage} and gives up {@code share}, its share
     * of a fetch (true when that called the fetch off: a pass, or the last client of a collapsed
     * fetch whose response head has not come). False when the client has already left: its
     * share is given up now and the request should go no further.
     */
    private boolean onLeave(RequestContext ctx, ClientAborts.Stage stage, BooleanSupplier share) {
        if (ctx.watch == null || ctx.watch.whenGone(() -> aborts.left(stage, share.getAsBoolean()))) {
            return true;
        }
        if (share.getAsBoolean()) {
            aborts.cancelled();
        }
        return false;
    }

    private static String originError(UpstreamException e) {
        return OriginPool.CLIENT_GONE.equals(e.detail()) ? "cancelled" : "error";
    }

    private static boolean simpleDirectives(RequestContext ctx) {
        CacheControl cc = ctx.requestCc;
        return (ctx.rule.ignoreClientNoCache() || cc.maxAge() == CacheControl.ABSENT && cc.minFresh() == CacheControl.ABSENT)
                && !cc.noStore();
    }

    // ------------------------------------------------------------------ virtual thread

    private void run(RequestContext ctx, boolean cacheable, String peerIp, InetSocketAddress peer) {
        boolean peerTrusted = peer != null && isTrusted(peer.getAddress());
        guarded(ctx, () -> {
            if (cacheable) {
                cacheable(ctx, peerIp, peerTrusted);
            } else {
                pass(ctx, peerIp, peerTrusted, ctx.rule.bypass() && RuleSet.CACHEABLE_METHODS.contains(ctx.method)
                        ? CacheStatus.forward(cacheId, "bypass") : CacheStatus.forward(cacheId, "method"), Outcome.BYPASS);
            }
        });
    }

    /** Work on a request that may fail: answered with the right status or cut off, and always counted. */
    private interface RequestWork {
        void run() throws IOException;
    }

    private void guarded(RequestContext ctx, RequestWork work) {
        try {
            work.run();
        } catch (ChannelSource.TooLargeException e) {
            ctx.outcome = Outcome.ERROR;
            ctx.exchange.setPersistent(false);
            writer.plain(ctx, ctx.exchange, 413, null, "request body larger than " + limits.maxRequestBody());
        } catch (IOException e) {
            ctx.outcome = Outcome.ERROR;
            if (!ctx.exchange.isResponseStarted()) {
                writer.plain(ctx, ctx.exchange, 502, CacheStatus.forward(cacheId, "miss").detail("upstream-body-failed").toString(),
                        "upstream response failed");
            } else {
                ResponseWriter.abort(ctx.exchange);
            }
        } catch (RuntimeException e) {
            LOG.error("request {} {} failed", ctx.method, ctx.target.toUri(), e);
            ctx.outcome = Outcome.ERROR;
            if (!ctx.exchange.isResponseStarted()) {
                writer.plain(ctx, ctx.exchange, 500, null, "internal error");
            } else {
                ResponseWriter.abort(ctx.exchange);
            }
        } finally {
            if (ctx.prefetched != null) {
                ctx.prefetched.close(); // a slice request's whole answer that this request did not use
                ctx.prefetched = null;
            }
            collapser.resolve(ctx.primaryKey, ctx.lookup, null); // no fetch: whoever waited goes its own way
            finish(ctx);
        }
    }

    private void cacheable(RequestContext ctx, String peerIp, boolean peerTrusted) throws IOException {
        TieredCache.Lookup lookup = cache.lookup(ctx.primaryKey,
                ctx::variantKey);
        long now = clock.millis();
        if (lookup instanceof TieredCache.Hit hit) {
            collapser.resolve(ctx.primaryKey, ctx.lookup, null); // stored: requests waiting on this lookup find it too
            CachedResponse r = hit.response();
            boolean gated = !hitsAllowed.getAsBoolean();
            if (ctx.clientWantsValidation() || gated) {
                fetch(ctx, gated ? "stale" : "request", hit, peerIp, peerTrusted);
                return;
            }
            if (clientAccepts(ctx, r, now)) {
                ctx.outcome = Outcome.HIT;
                ctx.tier = tierOf(hit);
                String cs = CacheStatus.hit(cacheId).ttl(r.ttl(now)).toString();
                serveHit(ctx, hit, r, r.age(now), cs);
                cache.touch(hit);
                return;
            }
            long staleFor = -r.ttl(now);
            if (!r.hasFlag(CachedResponse.ALWAYS_REVALIDATE) && !r.hasFlag(CachedResponse.MUST_REVALIDATE)
                    && staleFor > 0 && staleFor <= r.staleWhileRevalidate() && !ctx.requestCc.onlyIfCached()) {
                ctx.outcome = Outcome.STALE;
                ctx.tier = tierOf(hit);
                UpstreamRequest req = upstreamRequests.build(ctx, "GET", true, r.hasValidators() ? r : null, null,
                        peerIp, peerTrusted);
                backgroundRefresh(ctx, req, r);
                String cs = CacheStatus.hit(cacheId).ttl(r.ttl(now)).detail("stale-while-revalidate").toString();
                serveHit(ctx, hit, r, r.age(now), cs);
                return;
            }
            if (ctx.requestCc.onlyIfCached()) {
                ctx.outcome = Outcome.ERROR;
                writer.plain(ctx, ctx.exchange, 504, CacheStatus.forward(cacheId, "stale").detail("only-if-cached").toString(),
                        "only-if-cached: the stored response is stale");
                return;
            }
            // RFC 9211 §2.2: a fresh response the request's directives refused is fwd=request
            fetch(ctx, r.isFresh(now) ? "request" : "stale", hit, peerIp, peerTrusted);
            return;
        }
        TieredCache.Miss miss = (TieredCache.Miss) lookup;
        if (ctx.requestCc.onlyIfCached()) {
            ctx.outcome = Outcome.ERROR;
            writer.plain(ctx, ctx.exchange, 504, CacheStatus.forward(cacheId, "miss").detail("only-if-cached").toString(),
                    "only-if-cached: not in cache");
            return;
        }
        if (hitForPass.marked(ctx.primaryKey)) {
            collapser.resolve(ctx.primaryKey, ctx.lookup, null);
            pass(ctx, peerIp, peerTrusted, CacheStatus.forward(cacheId, "bypass").detail("hit-for-pass"), Outcome.BYPASS);
            return;
        }
        if (ctx.isHead() && (ctx.encoding == null || ctx.encoding.equals(AcceptEncodingKey.IDENTITY))) {
            // a HEAD costs the origin a head, not a body: asked as HEAD, relayed, nothing stored.
            // Under a rule that compresses, a HEAD for an encoding is fetched and stored like a
            // GET instead, so its head names the encoded representation a GET would get
            collapser.resolve(ctx.primaryKey, ctx.lookup, null);
            pass(ctx, peerIp, peerTrusted, CacheStatus.forward(cacheId, miss.varyMiss() ? "vary-miss" : "miss"), Outcome.MISS);
            return;
        }
        Slices.Wanted wanted = sliced(ctx);
        if (wanted != null) {
            collapser.resolve(ctx.primaryKey, ctx.lookup, null);
            if (slices.serve(ctx, wanted, ctx.rule.sliceSize().bytes(), peerIp, peerTrusted)) {
                return;
            }
        }
        fetch(ctx, miss.varyMiss() ? "vary-miss" : "miss", null, peerIp, peerTrusted);
    }

    /** The range a GET that missed is answered with from slices ({@link SliceFetcher}), or null. */
    private static Slices.Wanted sliced(RequestContext ctx) {
        if (ctx.rule.sliceSize().bytes() <= 0 || !ctx.method.equals("GET") || ctx.encoding != null) {
            // under a rule that compresses, a range applies to the selected (maybe encoded)
            // representation (RFC 9110 §14): the whole object is fetched, stored, and ranged
            return null;
        }
        List<String> range = ctx.headers.all("range");
        return range.size() == 1 ? Slices.wanted(range.get(0), ctx.headers.first("if-range")) : null;
    }

    /**
     * Whether the client has pulled more than its share from upstream in the window
     * ({@link OriginBudget}): then it is answered 429 with Retry-After and nothing goes upstream.
     * Otherwise the request's upstream bytes are charged to its client from here on.
     */
    boolean refusedOverOriginBudget(RequestContext ctx) {
        if (!originBudget.enabled()) {
            return false;
        }
        long wait = originBudget.refusedFor(ctx.clientIp);
        if (wait <= 0) {
            ctx.originAccount = originBudget.account(ctx.clientIp);
            return false;
        }
        ctx.outcome = Outcome.ERROR;
        ctx.exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(Math.max(1, (wait + 999) / 1000)));
        writer.plain(ctx, ctx.exchange, 429, CacheStatus.forward(cacheId, "miss").detail("origin-bytes-limit").toString(),
                "this client fetched more than " + limits.originBytesPerClient() + " from the origin in "
                        + limits.originBytesWindow().toSeconds() + " s");
        return true;
    }

    /** Charges upstream body bytes to the client whose request fetched them, when the cap is on. */
    private static void charge(RequestContext ctx, long n) {
        OriginBudget.Account a = ctx.originAccount;
        if (a != null && n > 0) {
            a.charge(n);
        }
    }

    private boolean clientAccepts(RequestContext ctx, CachedResponse r, long now) {
        CacheControl cc = ctx.requestCc;
        long age = r.age(now);
        long ttl = r.ttl(now);
        boolean honoured = !ctx.rule.ignoreClientNoCache(); // else a client can't ask for a younger copy
        if (honoured && cc.maxAge() >= 0 && age > cc.maxAge() * 1000) {
            return false;
        }
        if (honoured && cc.minFresh() >= 0 && ttl < cc.minFresh() * 1000) {
            return false;
        }
        if (r.isFresh(now)) {
            return true;
        }
        return cc.maxStale() >= 0 && !r.hasFlag(CachedResponse.MUST_REVALIDATE)
                && !r.hasFlag(CachedResponse.ALWAYS_REVALIDATE) && -ttl <= cc.maxStale() * 1000;
    }

    BodySource body(TieredCache.Hit hit) {
        return hit.memoryBody() != null ? BodySource.memory(hit.memoryBody())
                : BodySource.disk(hit.response(), cache.bodyReader(hit.response()));
    }

    private static String tierOf(TieredCache.Hit hit) {
        return hit.tier() == TieredCache.Tier.MEMORY ? EdgeMetrics.MEMORY : EdgeMetrics.DISK;
    }

    /** Goes upstream for a key, as the leader of a collapsed fetch or as a waiter. */
    private void fetch(RequestContext ctx, String fwd, TieredCache.Hit stale, String peerIp, boolean peerTrusted)
            throws IOException {
        Collapser.Flight[] joined = new Collapser.Flight[1];
        Collapser.Flight flight = collapser.lead(ctx.primaryKey, joined);
        if (flight != null) {
            flight.miss = stale == null;
        }
        collapser.resolve(ctx.primaryKey, ctx.lookup, flight != null ? flight : joined[0]);
        if (flight == null) {
            Fill finished = joined[0].finishedFill();
            if (finished != null) {
                // the response was whole before this request came: answer it as stored, once it is
                awaitStore(finished);
                handleOutcome(ctx, new Collapser.Stored(), fwd, stale, peerIp, peerTrusted);
                return;
            }
            waitFor(ctx, joined[0], fwd, stale, peerIp, peerTrusted);
            return;
        }
        lead(ctx, fwd, stale, flight, peerIp, peerTrusted);
    }

    /**
     * A request for a key whose miss is already being fetched, or is being looked up by an
     * earlier request, waits without a thread: when the fetch lands with a small body complete
     * in memory, the request is answered on its I/O thread like a memory hit; any other outcome
     * sends it down the ordinary path. A crowd arriving at once for an uncached object is then
     * answered at the pace of memory hits. When there is nothing to wait on, the request opens
     * a lookup for later ones to wait on, and goes on.
     */
    private boolean joinMissInFlight(RequestContext ctx, String peerIp, InetSocketAddress peer) {
        if (!hitsAllowed.getAsBoolean() || ctx.clientWantsValidation() || ctx.requestCc.present()) {
            return false;
        }
        Collapser.Flight flight = collapser.joinableMiss(ctx.primaryKey);
        HttpServerExchange ex = ctx.exchange;
        if (flight != null) {
            ex.dispatch(SameThreadExecutor.INSTANCE, () -> awaitFlight(ctx, flight, peerIp, peer));
            return true;
        }
        Collapser.LookupTurn turn = collapser.lookupOrJoin(ctx.primaryKey);
        if (turn.own()) {
            ctx.lookup = turn.lookup();
            return false;
        }
        ex.dispatch(SameThreadExecutor.INSTANCE, () -> turn.lookup().onResolved(f -> {
            if (f != null && !f.fillEnded() && f.finishedFill() == null && f.join()) {
                awaitFlight(ctx, f, peerIp, peer);
            } else {
                rerun(ctx, peerIp, peer);
            }
        }));
        return true;
    }

    /** Answers a waiting request by what {@code flight} comes to, without a thread while it waits. */
    private void awaitFlight(RequestContext ctx, Collapser.Flight flight, String peerIp, InetSocketAddress peer) {
        HttpServerExchange ex = ctx.exchange;
        onLeave(ctx, ClientAborts.Stage.COLLAPSED, flight::leave);
        flight.onOutcome(o -> {
            ByteBuffer whole = o instanceof Collapser.Filled f && f.fill().head().varyNames().isEmpty()
                    ? f.fill().completeBody() : null;
            if (whole != null) {
                Fill fill = ((Collapser.Filled) o).fill();
                ioBatches.execute(ex.getIoThread(), () -> Connectors.executeRootHandler(x -> {
                    long now = clock.millis();
                    CachedResponse h = fill.head().withBodyLength(whole.remaining());
                    ctx.outcome = Outcome.MISS;
                    String cs = CacheStatus.forward(cacheId, "miss").fwdStatus(h.status()).stored().collapsed()
                            .ttl(h.ttl(now)).toString();
                    if (writer.serveMemory(ctx, h, whole, h.age(now), cs)) {
                        finish(ctx);
                    } else {
                        x.dispatch(executor, () -> run(ctx, true, peerIp, peer));
                    }
                }, ex));
            } else if (flight.miss) {
                resume(ex, () -> guarded(ctx, () -> {
                    boolean trusted = peer != null && isTrusted(peer.getAddress());
                    handleOutcome(ctx, o, "miss", null, peerIp, trusted);
                }));
            } else {
                rerun(ctx, peerIp, peer); // a revalidation: this request judges the stored entry itself
            }
        });
    }

    /** Sends a waiting request down the ordinary path, on a virtual thread. */
    private void rerun(RequestContext ctx, String peerIp, InetSocketAddress peer) {
        resume(ctx.exchange, () -> run(ctx, true, peerIp, peer));
    }

    /**
     * Goes on with a request whose exchange was left waiting, on a virtual thread. The exchange is
     * entered only to dispatch {@code task}, which then runs outside Undertow's handler call: a
     * write that has to wait for the client resumes writes at once there, whereas inside the call
     * the resume is deferred until the call returns, and a body larger than the socket or
     * HTTP/2 stream buffers stalled until the idle timeout.
     */
    private void resume(HttpServerExchange ex, Runnable task) {
        Connectors.executeRootHandler(x -> x.dispatch(executor, task), ex);
    }

    private void lead(RequestContext ctx, String fwd, TieredCache.Hit stale, Collapser.Flight flight, String peerIp,
                      boolean peerTrusted) throws IOException {
        if (flight != null && stale == null && servedIfStoredMeanwhile(ctx, flight)) {
            return;
        }
        if (refusedOverOriginBudget(ctx)) {
            if (flight != null) {
                collapser.land(ctx.primaryKey, flight, new Collapser.Released()); // waiters go their own way
            }
            return;
        }
        CachedResponse stored = stale == null ? null : stale.response();
        UpstreamRequest req = upstreamRequests.build(ctx, "GET", true,
                stored != null && stored.hasValidators() ? stored : null, null, peerIp, peerTrusted)
                .withInterim(EarlyHints.forRequest(ctx, limits.idleTimeout().toMillis()));
        Fetched f = null;
        boolean landed = flight == null;
        try {
            Cancellation cancel = flight != null ? flight.cancellation : new Cancellation();
            if (!onLeave(ctx, ClientAborts.Stage.FETCH, flight != null ? flight::leave : cancel::cancel)) {
                throw new ClientWatch.Gone();
            }
            f = ScopedValue.where(Cancellation.CURRENT, cancel)
                    .call(() -> fetchAndStore(ctx, req, stored, ctx.requestCc.noStore(), flight, true));
            if (flight != null) {
                collapser.land(ctx.primaryKey, flight, f.outcome());
                landed = true;
            }
            f.storeInline();
            serve(ctx, f, fwd, stale, false);
        } finally {
            if (ctx.fillReader != null) {
                ctx.fillReader.close();
                ctx.fillReader = null;
            }
            if (!landed) {
                collapser.land(ctx.primaryKey, flight, new Collapser.Released());
            }
        }
    }

    /**
     * A miss can become leader just after the previous leader stored the response: look again
     * before going upstream, and send waiters to the cache if it is there now.
     */
    private boolean servedIfStoredMeanwhile(RequestContext ctx, Collapser.Flight flight) throws IOException {
        TieredCache.Lookup again = cache.lookAgain(ctx.primaryKey,
                ctx::variantKey);
        long now = clock.millis();
        if (!(again instanceof TieredCache.Hit hit) || !clientAccepts(ctx, hit.response(), now) || !hitsAllowed.getAsBoolean()) {
            return false;
        }
        collapser.land(ctx.primaryKey, flight, new Collapser.Stored());
        CachedResponse r = hit.response();
        ctx.outcome = Outcome.HIT;
        ctx.tier = tierOf(hit);
        serveHit(ctx, hit, r, r.age(now), CacheStatus.hit(cacheId).ttl(r.ttl(now)).toString());
        return true;
    }

    private void awaitStore(Fill fill) throws IOException {
        try {
            fill.awaitEnd(writer.fillWaitMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a fill to be stored");
        }
    }

    private void waitFor(RequestContext ctx, Collapser.Flight flight, String fwd, TieredCache.Hit stale, String peerIp,
                         boolean peerTrusted) throws IOException {
        if (!onLeave(ctx, ClientAborts.Stage.COLLAPSED, flight::leave)) {
            throw new ClientWatch.Gone();
        }
        handleOutcome(ctx, flight.await(writer.fillWaitMillis()), fwd, stale, peerIp, peerTrusted);
    }

    /** Answers a request that waited on another's fetch, by what that fetch came to. */
    private void handleOutcome(RequestContext ctx, Collapser.Outcome o, String fwd, TieredCache.Hit stale, String peerIp,
                               boolean peerTrusted) throws IOException {
        long now = clock.millis();
        switch (o) {
            case Collapser.Filled filled -> {
                Fill fill = filled.fill();
                String myKey = fill.head().varyNames().isEmpty() ? ctx.primaryKey
                        : ctx.variantKey(fill.head().varyNames());
                if (!myKey.equals(fill.key())) {
                    lead(ctx, "vary-miss", null, null, peerIp, peerTrusted);
                    return;
                }
                ctx.outcome = Outcome.MISS;
                CachedResponse h = fill.head();
                String cs = CacheStatus.forward(cacheId, fwd).fwdStatus(h.status()).stored().collapsed()
                        .ttl(h.ttl(now)).toString();
                serveFill(ctx, fill, cs, now);
            }
            case Collapser.Revalidated rv -> {
                TieredCache.Lookup again = cache.lookAgain(ctx.primaryKey,
                        ctx::variantKey);
                if (again instanceof TieredCache.Hit hit && hit.response().fillId() == rv.response().fillId()) {
                    ctx.outcome = Outcome.REVALIDATED;
                    ctx.tier = tierOf(hit);
                    CachedResponse r = hit.response();
                    String cs = CacheStatus.forward(cacheId, fwd).fwdStatus(304).collapsed().ttl(r.ttl(now))
                            .detail("revalidated").toString();
                    serveHit(ctx, hit, r, r.age(now), cs);
                } else {
                    lead(ctx, fwd, null, null, peerIp, peerTrusted);
                }
            }
            case Collapser.Failed failed -> {
                if (stale != null && canServeStaleIfError(ctx, stale.response(), now)) {
                    serveStaleIfError(ctx, stale, failed.error() != null ? failed.error().status() : failed.status(), now);
                } else if (failed.error() != null) {
                    ctx.outcome = Outcome.ERROR;
                    writer.plain(ctx, ctx.exchange, errorStatus(failed.error(), stale), CacheStatus.forward(cacheId, fwd).collapsed()
                            .detail(failed.error().detail()).toString(), failed.error().getMessage());
                } else {
                    ctx.outcome = Outcome.ERROR;
                    writer.plain(ctx, ctx.exchange, failed.status(), CacheStatus.forward(cacheId, fwd)
                            .fwdStatus(failed.status()).collapsed().detail("upstream-error").toString(), "upstream error");
                }
            }
            case Collapser.Stored s -> {
                TieredCache.Lookup again = cache.lookAgain(ctx.primaryKey,
                        ctx::variantKey);
                if (again instanceof TieredCache.Hit hit && clientAccepts(ctx, hit.response(), now)) {
                    ctx.outcome = Outcome.HIT;
                    ctx.tier = tierOf(hit);
                    CachedResponse r = hit.response();
                    serveHit(ctx, hit, r, r.age(now), CacheStatus.hit(cacheId).ttl(r.ttl(now)).toString());
                } else if (stale == null && again instanceof TieredCache.Hit hit) {
                    // stored meanwhile, but not usable as it is for this request: revalidate it
                    lead(ctx, hit.response().isFresh(now) ? "request" : "stale", hit, null, peerIp, peerTrusted);
                } else {
                    lead(ctx, fwd, stale, null, peerIp, peerTrusted);
                }
            }
            case Collapser.Released released -> lead(ctx, fwd, stale, null, peerIp, peerTrusted);
        }
    }

    /** What one upstream exchange came to, before anything is written to the client. */
    private record Fetched(UpstreamResponse response, UpstreamException error, Fill fill, CachedResponse revalidated,
                           StoreDecision decision, CachedResponse stored, Runnable store) {
        Fetched(UpstreamResponse response, UpstreamException error, Fill fill, CachedResponse revalidated,
                StoreDecision decision, CachedResponse stored) {
            this(response, error, fill, revalidated, decision, stored, null);
        }

        /** Stores a fill whose body was read inline; called once waiters have been released. */
        void storeInline() {
            if (store != null) {
                store.run();
            }
        }

        Collapser.Outcome outcome() {
            if (error != null) {
                return new Collapser.Failed(error, 0);
            }
            if (revalidated != null) {
                return new Collapser.Revalidated(revalidated);
            }
            if (fill != null) {
                return new Collapser.Filled(fill);
            }
            if (stored != null && response != null && Statuses.staleIfErrorApplies(response.status())) {
                return new Collapser.Failed(null, response.status());
            }
            return new Collapser.Released();
        }
    }

    /**
     * Sends the request upstream and stores what can be stored: freshens the stored response on
     * a 304, starts a fill for a storable response, remembers hit-for-pass for one that is not.
     */
    private Fetched fetchAndStore(RequestContext ctx, UpstreamRequest req, CachedResponse stored, boolean requestNoStore,
                                  Collapser.Flight flight, boolean reader) {
        long t0 = clock.millis();
        long n0 = System.nanoTime();
        UpstreamResponse resp;
        long t1;
        if (ctx.prefetched != null && stored == null) {
            // the whole response a slice request got from an origin that ignores Range: no second request
            resp = ctx.prefetched;
            t0 = ctx.prefetchedAt;
            ctx.prefetched = null;
            t1 = clock.millis();
        } else {
            try {
                resp = fetchUpstream(ctx, req);
            } catch (UpstreamException e) {
                metrics.origin(originError(e), -1);
                ctx.originNanos = System.nanoTime() - n0;
                return new Fetched(null, e, null, null, null, stored);
            }
            t1 = clock.millis();
            ctx.originNanos = System.nanoTime() - n0;
            metrics.origin(Integer.toString(resp.status()), ctx.originNanos);
        }
        if (resp.status() == 304 && stored != null && !selects(resp, stored)) {
            // RFC 9111 §4.3.4: a 304 naming another representation updates nothing; fetch it whole
            resp.close();
            return fetchAndStore(ctx, withoutValidators(req), null, requestNoStore, flight, reader);
        }
        if (resp.status() == 304 && stored != null) {
            CachedResponse updated = freshen(ctx, stored, resp, t0, t1);
            resp.close();
            return new Fetched(null, null, null, updated, null, stored);
        }
        if (stored != null && Statuses.staleIfErrorApplies(resp.status()) && canServeStaleIfError(ctx, stored, t1)) {
            return new Fetched(resp, null, null, null, null, stored);
        }
        StoreDecision decision = policy.decide(ctx.headers.contains("authorization"), requestNoStore, resp.status(),
                resp, ctx.rule, t0, t1);
        // compression at the edge: every variant of a qualifying response varies on
        // Accept-Encoding; a client that accepts an encoding gets (and the cache keeps) the encoded
        // one; a client that accepts none of the origin's encoding gets it decoded (and stored so)
        String decodeFrom = null;
        boolean compressible = false;
        String encoding = null;
        boolean overLimit = false;
        if (decision.store() && ctx.encoding != null) {
            decodeFrom = ctx.encoding.equals(AcceptEncodingKey.IDENTITY)
                    ? Compression.decodable(ctx.rule.compress(), resp.status(), resp) : null;
            compressible = decodeFrom != null
                    || Compression.qualifies(ctx.rule.compress(), resp.status(), resp, resp.contentLength());
            encoding = compressible && decodeFrom == null && !ctx.encoding.equals(AcceptEncodingKey.IDENTITY)
                    ? ctx.encoding : null;
            if (encoding != null && !compressionSlots.tryAcquire()) {
                // every encoder slot busy: relayed as the origin sent it, stored by none
                overLimit = true;
                metrics.compressionRefused();
            }
        }
        if (decision.store() && !overLimit) {
            CachedResponse head = head(ctx, resp, decision, t0, t1, compressible, encoding, decodeFrom);
            Fill fill = cache.beginFill(head, encoding != null || decodeFrom != null ? -1 : resp.contentLength());
            if (fill != null) {
                if (reader) {
                    ctx.fillReader = fill.attach(); // the leader reads it; closed when its request ends
                }
                Runnable ended = flight == null ? () -> { } : () -> collapser.fillEnded(ctx.primaryKey, flight);
                long length = resp.contentLength();
                if (decodeFrom != null) {
                    settle();
                    OriginBudget.Account account = ctx.originAccount;
                    String coding = decodeFrom;
                    Thread.ofVirtual().name("fill-decode").start(() -> pumpDecoded(resp, fill, ended, account, coding));
                } else if (encoding != null) {
                    // encoded as it arrives, chunk by chunk into the fill: its length is known at the end
                    settle();
                    OriginBudget.Account account = ctx.originAccount;
                    String enc = encoding;
                    int level = ctx.rule.compress().levelFor(encoding);
                    Thread.ofVirtual().name("fill-encode").start(() -> {
                        try {
                            pumpEncoded(resp, fill, ended, account, enc, level);
                        } finally {
                            compressionSlots.release();
                        }
                    });
                } else if (length >= 0 && length <= INLINE_FILL) {
                    // a small body comes with its head: read it before releasing waiters, so each is
                    // answered from memory in one write; the leader stores it once they are released
                    Exception failed = readBody(resp, fill, readTimeout(ctx, req), ctx.originAccount);
                    if (failed == null) {
                        return new Fetched(resp, null, fill, null, decision, stored, () -> {
                            fill.complete();
                            ended.run();
                        });
                    }
                    ended.run();
                    // nothing of it was sent yet: a clean error (or stale-if-error), never a 200
                    // claiming "stored" that is then cut off
                    return new Fetched(null, bodyFailed(failed), null, null, null, stored);
                } else {
                    settle();
                    OriginBudget.Account account = ctx.originAccount;
                    Thread.ofVirtual().name("fill").start(() -> pump(resp, fill, ended, account));
                }
                return new Fetched(resp, null, fill, null, decision, stored);
            }
            if (encoding != null) {
                compressionSlots.release(); // the cache took no fill: nothing to encode
            }
        } else if (!overLimit && !StoreDecision.aboutRequest(decision.reason())) {
            hitForPass.mark(ctx.primaryKey);
        }
        if (stored != null) {
            cache.remove(stored.key());
        }
        return new Fetched(resp, null, null, null, decision, stored);
    }

    /** A storable body is on its way into the cache: the fetch goes on whichever clients leave. */
    private static void settle() {
        if (Cancellation.CURRENT.isBound()) {
            Cancellation.CURRENT.get().settle();
        }
    }

    /** An upstream body that failed before the client got anything: 504 for a timeout, else 502. */
    private static UpstreamException bodyFailed(Exception e) {
        boolean timeout = e instanceof java.net.SocketTimeoutException || e.getCause() instanceof java.net.SocketTimeoutException;
        return new UpstreamException(timeout ? UpstreamException.Kind.TIMEOUT : UpstreamException.Kind.PROTOCOL,
                "upstream-body-failed", "upstream body failed: " + e.getMessage(), false, e);
    }

    /**
     * Reads a whole (small) upstream body into a fill and ends its body; the failure, or null.
     * It is read on the request's own thread, in at most {@code timeoutMillis} in all (the
     * origin's read timeout, as a deadline on the body): an origin trickling a small body a byte
     * at a time holds neither this request nor the requests collapsed on it for longer than that.
     */
    private Exception readBody(UpstreamResponse resp, Fill fill, long timeoutMillis, OriginBudget.Account account) {
        byte[] buf = new byte[(int) Math.max(1, Math.min(16 * 1024, fill.expectedLength()))];
        try (resp; InputStream in = resp.body()) {
            resp.bodyDeadline(timeoutMillis);
            int n;
            while ((n = in.read(buf)) != -1) {
                fill.append(buf, 0, n);
                OriginBudget.read(metrics, account, n);
            }
            if (!fill.finishBody()) {
                fill.fail(new IOException("upstream body ended short of its Content-Length"));
                Exception failure = fill.failure();
                return failure != null ? failure : new IOException("upstream body failed");
            }
            return null;
        } catch (IOException | RuntimeException e) {
            Exception failure = e instanceof java.io.InterruptedIOException && !(e instanceof java.net.SocketTimeoutException)
                    ? new java.net.SocketTimeoutException("upstream body not whole after " + timeoutMillis + " ms")
                    : e;
            fill.fail(failure);
            return failure;
        }
    }

    /** The read timeout of the origin a request goes to (30 s when it has none). */
    private static long readTimeout(RequestContext ctx, UpstreamRequest req) {
        for (var o : ctx.delivery.config().origins()) {
            if (o.name() != null && o.name().equals(req.originName()) && o.readTimeout() != null) {
                return o.readTimeout().toMillis();
            }
        }
        return 30_000;
    }

    /** Copies an upstream body into a fill, on its own virtual thread, whatever its readers do. */
    void pump(UpstreamResponse resp, Fill fill, Runnable ended, OriginBudget.Account account) {
        byte[] buf = new byte[16 * 1024];
        try (resp; InputStream in = resp.body()) {
            int n;
            while ((n = in.read(buf)) != -1) {
                fill.append(buf, 0, n);
                OriginBudget.read(metrics, account, n);
            }
            fill.complete();
        } catch (IOException | RuntimeException e) {
            fill.fail(e);
        } finally {
            ended.run();
        }
    }

    /**
     * Copies an upstream body into a fill through an encoder ({@link EncodingStream}), on its own
     * virtual thread: the fill holds the encoded body, in chunks as the encoder emits them.
     */
    void pumpEncoded(UpstreamResponse resp, Fill fill, Runnable ended, OriginBudget.Account account, String encoding,
                     int level) {
        byte[] buf = new byte[16 * 1024];
        EncodingStream enc = null;
        try (resp; InputStream in = resp.body()) {
            enc = new EncodingStream(encoding, level, fill::append);
            int n;
            while ((n = in.read(buf)) != -1) {
                enc.write(buf, 0, n);
                OriginBudget.read(metrics, account, n);
            }
            long expected = resp.contentLength();
            if (expected >= 0 && enc.bytesIn() != expected) {
                throw new IOException("upstream body ended after " + enc.bytesIn() + " of " + expected + " bytes");
            }
            enc.finish();
            metrics.compression(encoding, enc.bytesIn(), enc.bytesOut(), enc.nanos());
            fill.complete();
        } catch (IOException | RuntimeException e) {
            if (enc != null) {
                enc.abort();
            }
            fill.fail(e);
        } finally {
            ended.run();
        }
    }

    /** Copies an upstream body into a fill through a decoder, on its own virtual thread: the fill holds the identity body. */
    void pumpDecoded(UpstreamResponse resp, Fill fill, Runnable ended, OriginBudget.Account account, String coding) {
        byte[] buf = new byte[16 * 1024];
        try (resp; InputStream raw = resp.body(); InputStream in = Encoders.decoder(coding, new java.io.FilterInputStream(raw) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    OriginBudget.read(metrics, account, n);
                }
                return n;
            }
        })) {
            int n;
            while ((n = in.read(buf)) != -1) {
                fill.append(buf, 0, n);
            }
            metrics.decompression(coding);
            fill.complete();
        } catch (IOException | RuntimeException e) {
            fill.fail(e);
        } finally {
            ended.run();
        }
    }

    /** Writes the outcome of an upstream exchange to the client. */
    private void serve(RequestContext ctx, Fetched f, String fwd, TieredCache.Hit stale, boolean collapsed) throws IOException {
        long now = clock.millis();
        if (f.error() != null) {
            if (stale != null && canServeStaleIfError(ctx, stale.response(), now)) {
                serveStaleIfError(ctx, stale, f.error().status(), now);
                return;
            }
            ctx.outcome = Outcome.ERROR;
            writer.plain(ctx, ctx.exchange, errorStatus(f.error(), stale), CacheStatus.forward(cacheId, fwd)
                    .detail(f.error().detail()).toString(), "upstream failed: " + f.error().getMessage());
            return;
        }
        if (f.revalidated() != null) {
            ctx.outcome = Outcome.REVALIDATED;
            ctx.tier = tierOf(stale);
            CachedResponse r = f.revalidated();
            String cs = CacheStatus.forward(cacheId, fwd).fwdStatus(304).ttl(r.ttl(now)).detail("revalidated").toString();
            serveHit(ctx, stale, r, r.age(now), cs);
            return;
        }
        UpstreamResponse resp = f.response();
        if (f.fill() == null && stale != null && Statuses.staleIfErrorApplies(resp.status())
                && canServeStaleIfError(ctx, stale.response(), now)) {
            resp.close();
            serveStaleIfError(ctx, stale, resp.status(), now);
            return;
        }
        if (f.fill() != null) {
            ctx.outcome = Outcome.MISS;
            CachedResponse h = withStrippedFields(f.fill().head(), resp, f.decision());
            String cs = CacheStatus.forward(cacheId, fwd).fwdStatus(resp.status()).stored().ttl(h.ttl(now)).toString();
            ByteBuffer whole = f.fill().completeBody();
            if (whole != null && writer.serveMemory(ctx, h.withBodyLength(whole.remaining()), whole, h.age(now), cs)) {
                return;
            }
            if (ctx.fillReader != null && ctx.fillReader.fill() == f.fill()) {
                writer.serveStored(ctx, h, BodySource.fill(ctx.fillReader, writer.fillWaitMillis()), h.age(now), cs);
            } else {
                try (Fill.Reader reader = f.fill().attach()) {
                    writer.serveStored(ctx, h, BodySource.fill(reader, writer.fillWaitMillis()), h.age(now), cs);
                }
            }
            return;
        }
        ctx.outcome = Outcome.MISS;
        CacheStatus cs = CacheStatus.forward(cacheId, fwd).fwdStatus(resp.status());
        if (f.decision() != null && f.decision().reason() != null) {
            cs.detail(f.decision().reason());
        }
        try (resp) {
            writer.relay(ctx, resp, cs.toString(), ctx.isHead());
        } finally {
            charge(ctx, ctx.bodyBytes);
        }
    }

    /**
     * The fields stored without (qualified private and no-cache, RFC 9111 §5.2.2.4 and
     * §5.2.2.7) belong to the client whose request fetched the response: it gets them back;
     * collapsed waiters and later hits do not.
     */
    private static CachedResponse withStrippedFields(CachedResponse head, UpstreamResponse resp, StoreDecision d) {
        if (d == null || d.stripFields().isEmpty()) {
            return head;
        }
        List<String> names = new ArrayList<>(List.of(head.headerNames()));
        List<String> values = new ArrayList<>(List.of(head.headerValues()));
        var h = resp.headers();
        for (int i = 0; i < h.size(); i++) {
            if (d.stripFields().contains(h.name(i).toLowerCase(Locale.ROOT))) {
                names.add(h.name(i));
                values.add(h.value(i));
            }
        }
        return head.withHeaders(names.toArray(String[]::new), values.toArray(String[]::new));
    }

    /** A stored response: from its memory buffer without blocking when it has one, else read from disk. */
    private void serveHit(RequestContext ctx, TieredCache.Hit hit, CachedResponse r, long ageMillis, String cacheStatus)
            throws IOException {
        if (hit.memoryBody() != null && writer.serveMemory(ctx, r, hit.memoryBody(), ageMillis, cacheStatus)) {
            return;
        }
        writer.serveStored(ctx, r, body(hit), ageMillis, cacheStatus);
    }

    private void serveFill(RequestContext ctx, Fill fill, String cacheStatus, long now) throws IOException {
        CachedResponse head = fill.head();
        ByteBuffer whole = fill.completeBody();
        if (whole != null && writer.serveMemory(ctx, head.withBodyLength(whole.remaining()), whole, head.age(now), cacheStatus)) {
            return; // a small fill already complete: answered like a memory hit
        }
        try (Fill.Reader reader = fill.attach()) {
            writer.serveStored(ctx, head, BodySource.fill(reader, writer.fillWaitMillis()), head.age(now), cacheStatus);
        }
    }

    /**
     * The status for an upstream failure: a must-revalidate entry that could not be
     * revalidated is a 504 (RFC 9111 §5.2.2.2), other failures say what went wrong.
     */
    private static int errorStatus(UpstreamException e, TieredCache.Hit stale) {
        return stale != null && stale.response().hasFlag(CachedResponse.MUST_REVALIDATE) ? 504 : e.status();
    }

    private static boolean canServeStaleIfError(RequestContext ctx, CachedResponse r, long now) {
        return StaleOnError.reason(r, ctx.rule, now) != null;
    }

    /**
     * Serves a stale entry in place of an upstream error (RFC 5861 §4, or the rule's
     * serve-stale-on-error: {@link StaleOnError}). {@code errorStatus} is
     * the status upstream answered, or the one the node would have sent when no response came
     * (502 refused, 504 timed out): an absent {@code fwd-status} would mean the status served,
     * 200 (RFC 9211 §2.3).
     */
    private void serveStaleIfError(RequestContext ctx, TieredCache.Hit stale, int errorStatus, long now) throws IOException {
        ctx.outcome = Outcome.STALE;
        ctx.tier = tierOf(stale);
        CachedResponse r = stale.response();
        String reason = StaleOnError.reason(r, ctx.rule, now);
        String cs = CacheStatus.forward(cacheId, "stale").fwdStatus(errorStatus).ttl(r.ttl(now))
                .detail(reason == null ? StaleOnError.STALE_IF_ERROR : reason).toString();
        serveHit(ctx, stale, r, r.age(now), cs);
    }

    /** Refreshes a stale entry in the background (stale-while-revalidate), once per key at a time. */
    private void backgroundRefresh(RequestContext ctx, UpstreamRequest req, CachedResponse stored) {
        Collapser.Flight[] joined = new Collapser.Flight[1];
        Collapser.Flight flight = collapser.lead(ctx.primaryKey, joined);
        if (flight == null) {
            return; // a refresh or fetch is already under way
        }
        executor.execute(() -> {
            Collapser.Outcome outcome = new Collapser.Released();
            try {
                Fetched f = fetchAndStore(ctx, req, stored, false, flight, false);
                f.storeInline();
                outcome = f.outcome();
                if (f.fill() == null && f.response() != null) {
                    f.response().close();
                }
            } catch (RuntimeException e) {
                LOG.warn("background refresh of {} failed: {}", ctx.primaryKey, e.toString());
            } finally {
                collapser.land(ctx.primaryKey, flight, outcome);
            }
        });
    }

    /**
     * Whether a 304 selects the stored response for update (RFC 9111 §4.3.4): it names the
     * stored entity tag, or names none.
     */
    private static boolean selects(UpstreamResponse notModified, CachedResponse stored) {
        String etag = notModified.first("etag");
        String mine = stored.etag() != null && stored.hasFlag(CachedResponse.EDGE_ENCODED)
                ? Compression.originEtag(stored.etag()) : stored.etag();
        return etag == null || (mine != null && Conditionals.weakEquals(etag, mine));
    }

    /** The same upstream request without the validators a revalidation added. */
    private static UpstreamRequest withoutValidators(UpstreamRequest req) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < req.headerNames().size(); i++) {
            String n = req.headerNames().get(i);
            if (!n.equalsIgnoreCase("if-none-match") && !n.equalsIgnoreCase("if-modified-since")) {
                names.add(n);
                values.add(req.headerValues().get(i));
            }
        }
        return new UpstreamRequest(req.method(), req.target(), names, values, req.body(), req.cacheKey(), req.clientIp(),
                req.originName(), req.interim());
    }

    /** RFC 9111 §4.3.4: the stored response, with the 304's fields and new freshness. */
    private CachedResponse freshen(RequestContext ctx, CachedResponse stored, UpstreamResponse resp, long t0, long t1) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        Set<String> hop = Hop.hopByHop(resp);
        var h = resp.headers();
        for (int i = 0; i < h.size(); i++) {
            String lower = h.name(i).toLowerCase(Locale.ROOT);
            if (!hop.contains(lower) && !lower.equals("age")) {
                names.add(h.name(i));
                values.add(h.value(i));
            }
        }
        if (stored.hasFlag(CachedResponse.EDGE_ENCODED)) {
            // the origin's answer names its own representation: keep this variant's tag apart
            String coding = stored.first("content-encoding"); // none: the identity variant the node decoded
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).equalsIgnoreCase("etag")) {
                    values.set(i, Compression.suffixEtag(values.get(i), coding == null ? "identity" : coding.trim()));
                }
            }
        }
        if (stored.varyNames().contains("accept-encoding") && names.stream().anyMatch(n -> n.equalsIgnoreCase("vary"))) {
            Compression.mergeVary(names, values);
        }
        CachedResponse merged = stored.freshened(names.toArray(String[]::new), values.toArray(String[]::new), t0, t1,
                0, 0, 0, 0, 0);
        StoreDecision d = policy.decide(ctx.headers.contains("authorization"), false, stored.status(),
                new MergedHeaders(merged, resp), ctx.rule, t0, t1);
        if (!d.store()) {
            cache.remove(stored.key());
            return merged;
        }
        CachedResponse updated = stored.freshened(names.toArray(String[]::new), values.toArray(String[]::new), t0, t1,
                d.correctedInitialAge(), d.lifetime(), d.staleWhileRevalidate(), d.staleIfError(),
                flags(d) | (stored.flags() & CachedResponse.EDGE_ENCODED));
        cache.freshen(updated);
        return updated;
    }

    /** The merged fields of a freshened response, with the 304's Age and Date for age calculation. */
    private record MergedHeaders(CachedResponse merged, UpstreamResponse resp) implements dev.outpost.edge.http.HeaderSource {
        @Override
        public String first(String name) {
            if (name.equalsIgnoreCase("age")) {
                return resp.first("age");
            }
            return merged.first(name);
        }

        @Override
        public List<String> all(String name) {
            if (name.equalsIgnoreCase("age")) {
                return resp.all("age");
            }
            return merged.all(name);
        }
    }

    private static int flags(StoreDecision d) {
        return (d.alwaysRevalidate() ? CachedResponse.ALWAYS_REVALIDATE : 0)
                | (d.mustRevalidate() ? CachedResponse.MUST_REVALIDATE : 0)
                | (d.heuristic() ? CachedResponse.HEURISTIC : 0);
    }

    /** The metadata of a response about to be stored. */
    CachedResponse head(RequestContext ctx, UpstreamResponse resp, StoreDecision d, long t0, long t1) {
        return head(ctx, resp, d, t0, t1, false, null, null);
    }

    /**
     * The metadata of a response about to be stored; {@code compressible}: it varies on
     * Accept-Encoding whatever the origin said; {@code encoding}: this node encodes its body so
     * (Content-Encoding, Vary and a suffixed ETag), or null.
     */
    CachedResponse head(RequestContext ctx, UpstreamResponse resp, StoreDecision d, long t0, long t1, boolean compressible,
                        String encoding, String decodeFrom) {
        Set<String> hop = Hop.hopByHop(resp);
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        var h = resp.headers();
        boolean hasDate = false;
        for (int i = 0; i < h.size(); i++) {
            String lower = h.name(i).toLowerCase(Locale.ROOT);
            if (hop.contains(lower) || lower.equals("age") || lower.equals("content-length")
                    || d.stripFields().contains(lower)) {
                continue;
            }
            hasDate |= lower.equals("date");
            names.add(h.name(i));
            values.add(h.value(i));
        }
        if (!hasDate) {
            names.add("Date");
            values.add(HttpDates.format(t1));
        }
        List<String> tags = new ArrayList<>();
        for (String line : resp.all("surrogate-key")) {
            for (String t : line.trim().split("\\s+")) {
                if (!t.isEmpty() && !tags.contains(t)) {
                    tags.add(t);
                }
            }
        }
        for (String line : resp.all("cache-tag")) {
            for (String t : line.split(",")) {
                String tt = t.trim();
                if (!tt.isEmpty() && !tags.contains(tt)) {
                    tags.add(tt);
                }
            }
        }
        int flags = flags(d);
        if (decodeFrom != null) {
            Compression.decodedHead(names, values);
            flags |= CachedResponse.EDGE_ENCODED;
        } else if (encoding != null) {
            Compression.encodedHead(names, values, encoding);
            flags |= CachedResponse.EDGE_ENCODED;
        } else if (compressible) {
            Compression.mergeVary(names, values);
        }
        List<String> vary = CacheKeys.varyNames(resp);
        if ((encoded(resp) || compressible) && !vary.contains("accept-encoding")) {
            // an encoded body depends on Accept-Encoding even when the origin forgot to say so
            vary = new ArrayList<>(vary);
            vary.add("accept-encoding");
            vary.sort(null);
            vary = List.copyOf(vary);
        }
        String key = vary.isEmpty() ? ctx.primaryKey : ctx.variantKey(vary);
        return new CachedResponse(key, resp.status(), names.toArray(String[]::new), values.toArray(String[]::new), t0, t1,
                d.correctedInitialAge(), d.lifetime(), d.staleWhileRevalidate(), d.staleIfError(), flags, -1, 0, 0,
                List.copyOf(tags), vary, 0);
    }

    /** Whether any line of Content-Encoding names a coding other than identity. */
    static boolean encoded(UpstreamResponse resp) {
        for (String line : resp.all("content-encoding")) {
            for (String coding : line.split(",")) {
                if (!coding.isBlank() && !coding.trim().equalsIgnoreCase("identity")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Sends a request upstream as it is and relays the answer; no lookup, no storage. */
    private void pass(RequestContext ctx, String peerIp, boolean peerTrusted, CacheStatus cs, Outcome outcome)
            throws IOException {
        HttpServerExchange ex = ctx.exchange;
        if (refusedOverOriginBudget(ctx)) {
            return;
        }
        RequestBody body = null;
        if (!RuleSet.CACHEABLE_METHODS.contains(ctx.method) && hasBody(ex)) {
            long length = ex.getRequestContentLength();
            if (length > limits.maxRequestBody().bytes()) {
                throw new ChannelSource.TooLargeException();
            }
            body = new ChannelSource(ex, length, limits.maxRequestBody().bytes(), limits.idleTimeout().toMillis(),
                    ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        } else if (requiresBody(ctx.method)) {
            body = RequestBody.create(new byte[0]);
        }
        boolean headMiss = ctx.isHead() && outcome == Outcome.MISS; // asked as a fill would ask, for what the key names
        UpstreamRequest req = upstreamRequests.build(ctx, ctx.method, headMiss, null, body, peerIp, peerTrusted)
                .withInterim(EarlyHints.forRequest(ctx, limits.idleTimeout().toMillis()));
        Cancellation cancel = new Cancellation();
        if (!onLeave(ctx, ClientAborts.Stage.PASS, cancel::cancel)) {
            throw new ClientWatch.Gone();
        }
        long n0 = System.nanoTime();
        UpstreamResponse resp;
        try {
            resp = ScopedValue.where(Cancellation.CURRENT, cancel).call(() -> fetchUpstream(ctx, req));
        } catch (UpstreamException e) {
            if (e.getCause() instanceof ChannelSource.TooLargeException tooLarge) {
                throw tooLarge;
            }
            metrics.origin(originError(e), -1);
            ctx.originNanos = System.nanoTime() - n0;
            ctx.outcome = Outcome.ERROR;
            writer.plain(ctx, ex, e.status(), cs.detail(e.detail()).toString(), "upstream failed: " + e.getMessage());
            return;
        }
        ctx.originNanos = System.nanoTime() - n0;
        metrics.origin(Integer.toString(resp.status()), ctx.originNanos);
        ctx.outcome = outcome;
        if (Methods.invalidates(ctx.method) && resp.status() < 400) {
            invalidate(ctx, resp);
        }
        try (resp) {
            writer.relay(ctx, resp, cs.fwdStatus(resp.status()).toString(), ctx.isHead());
        } finally {
            charge(ctx, ctx.bodyBytes);
        }
    }

    /** Methods the origin client refuses to send without a body: they get an empty one. */
    private static final Set<String> BODY_REQUIRED = Set.of("POST", "PUT", "PATCH", "PROPPATCH", "REPORT", "QUERY");

    private static boolean requiresBody(String method) {
        return BODY_REQUIRED.contains(method);
    }

    /**
     * RFC 9111 §4.4: a non-error response to a method not known to be safe invalidates its
     * target, Location and Content-Location (same host only).
     */
    private void invalidate(RequestContext ctx, UpstreamResponse resp) {
        Set<String> keys = new HashSet<>();
        keys.add(CacheKeys.urlKey(ctx.host, ctx.target.path(), ctx.target.query(), ctx.rule.cacheKey()));
        for (String field : new String[] {"location", "content-location"}) {
            String v = resp.first(field);
            if (v == null) {
                continue;
            }
            try {
                URI base = URI.create((ctx.https ? "https://" : "http://") + ctx.host + ctx.target.toUri());
                URI u = base.resolve(v.trim());
                String h = u.getRawAuthority() == null ? null : RequestTarget.normaliseHost(u.getRawAuthority(), "https".equals(u.getScheme()));
                if (h == null || !h.equals(ctx.host)) {
                    continue; // only same-host URIs may be invalidated
                }
                RequestTarget t = RequestTarget.parse(u.getRawPath() == null || u.getRawPath().isEmpty() ? "/"
                        : u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()));
                Rule r = ctx.delivery.rules().match(ctx.hostNoPort, t.path(), "GET");
                keys.add(CacheKeys.urlKey(ctx.host, t.path(), t.query(), r.cacheKey()));
            } catch (IllegalArgumentException | RequestTarget.InvalidTargetException ignored) {
                // not a URI we can invalidate
            }
        }
        cache.purgeUrlKeys(List.copyOf(keys), false);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Fetches from upstream; a response whose length can't be known for sure (an invalid or
     * conflicting Content-Length) is refused like a garbled status line, since its body could
     * be stored or relayed short as if whole.
     */
    static UpstreamResponse fetchUpstream(RequestContext ctx, UpstreamRequest req) throws UpstreamException {
        UpstreamResponse resp = ctx.delivery.upstream().fetch(req);
        String problem = resp.framingProblem();
        if (problem != null) {
            try {
                resp.close();
            } catch (RuntimeException e) {
                // OkHttp fails discarding a body of negative length; the connection is dropped anyway
            }
            throw new UpstreamException(UpstreamException.Kind.PROTOCOL, "invalid response from " + resp.server() + ": "
                    + problem, null);
        }
        return resp;
    }

    /** Request framing that could be read two ways by two servers (smuggling): refused. */
    private static String framingProblem(HttpServerExchange ex) {
        HeaderMap h = ex.getRequestHeaders();
        HeaderValues te = h.get(Headers.TRANSFER_ENCODING);
        HeaderValues cl = h.get(Headers.CONTENT_LENGTH);
        if (te != null && cl != null) {
            return "both Transfer-Encoding and Content-Length";
        }
        if (cl != null) {
            String first = null;
            for (String v : cl) {
                for (String part : v.split(",")) {
                    String p = part.trim();
                    if (p.isEmpty() || !p.chars().allMatch(Character::isDigit) || p.length() > 18) {
                        return "invalid Content-Length";
                    }
                    if (first != null && !first.equals(p)) {
                        return "conflicting Content-Length";
                    }
                    first = p;
                }
            }
            if (cl.size() > 1) {
                return "duplicate Content-Length";
            }
        }
        if (te != null) {
            if (te.size() != 1 || !te.getFirst().trim().equalsIgnoreCase("chunked")) {
                return "unsupported Transfer-Encoding";
            }
        }
        return null;
    }

    /** 431 when the request has too many header fields or too many header bytes. */
    private String headersTooLarge(HttpServerExchange ex) {
        int count = 0;
        long bytes = 0;
        for (HeaderValues hv : ex.getRequestHeaders()) {
            int nameLength = hv.getHeaderName().length();
            for (String v : hv) {
                count++;
                bytes += nameLength + v.length() + 4;
            }
        }
        if (count > limits.maxHeaders()) {
            return "more than " + limits.maxHeaders() + " header fields";
        }
        if (bytes > limits.maxHeaderBytes().bytes()) {
            return "header fields larger than " + limits.maxHeaderBytes();
        }
        return null;
    }

    private static boolean hasBody(HttpServerExchange ex) {
        long length = ex.getRequestContentLength();
        return length > 0 || ex.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
    }

    private void reject(HttpServerExchange ex, long start, int status, String message, boolean close) {
        if (close) {
            ex.setPersistent(false);
            ex.getResponseHeaders().put(Headers.CONNECTION, "close");
        }
        RequestContext ctx = null;
        writer.plain(null, ex, status, null, message);
        long bytes = message.length() + 1;
        metrics.request(Outcome.ERROR, EdgeMetrics.NONE, bytes, System.nanoTime() - start);
        if (accessLog != null) {
            InetSocketAddress peer = ex.getSourceAddress();
            accessLog.log(new AccessLog.Entry(clock.millis(), peer == null ? "-" : peer.getAddress().getHostAddress(),
                    ex.getRequestMethod().toString(), ex.getRequestURI(), ex.getProtocol().toString(), status, bytes,
                    Outcome.ERROR.label(), EdgeMetrics.NONE, null, (System.nanoTime() - start) / 1e6, -1,
                    ex.getRequestHeaders().getFirst(Headers.USER_AGENT)));
        }
    }

    private void finish(RequestContext ctx) {
        long duration = System.nanoTime() - ctx.startNanos;
        metrics.request(ctx.outcome, ctx.tier, ctx.bodyBytes, duration);
        if (accessLog != null) {
            HttpServerExchange ex = ctx.exchange;
            accessLog.log(new AccessLog.Entry(ctx.now, ctx.clientIp, ctx.method, ctx.host + ctx.target.toUri(),
                    ex.getProtocol().toString(), ex.getStatusCode(), ctx.bodyBytes, ctx.outcome.label(), ctx.tier,
                    ctx.cacheStatus, duration / 1e6, ctx.originNanos < 0 ? -1 : ctx.originNanos / 1e6,
                    ex.getRequestHeaders().getFirst(Headers.USER_AGENT)));
        }
    }

    /**
     * The peer's address as text, formatted once per connection (an attachment of it) rather
     * than on every request a keep-alive connection carries.
     */
    private static String peerIp(HttpServerExchange ex, InetSocketAddress peer) {
        if (peer == null) {
            return "0.0.0.0";
        }
        var connection = ex.getConnection();
        String ip = connection.getAttachment(PEER_IP);
        if (ip == null) {
            ip = peer.getAddress().getHostAddress();
            connection.putAttachment(PEER_IP, ip);
        }
        return ip;
    }

    private String clientIp(HttpServerExchange ex, InetSocketAddress peer, String ip) {
        if (peer == null) {
            return ip;
        }
        if (trusted.isEmpty() || !isTrusted(peer.getAddress())) {
            return ip;
        }
        HeaderValues xff = ex.getRequestHeaders().get("X-Forwarded-For");
        if (xff == null) {
            return ip;
        }
        List<String> chain = new ArrayList<>();
        for (String line : xff) {
            for (String p : line.split(",")) {
                if (!p.isBlank()) {
                    chain.add(p.trim());
                }
            }
        }
        for (int i = chain.size() - 1; i >= 0; i--) {
            String candidate = chain.get(i);
            try {
                InetAddress a = InetAddress.ofLiteral(candidate);
                if (!isTrusted(a)) {
                    return a.getHostAddress();
                }
            } catch (IllegalArgumentException e) {
                return ip;
            }
        }
        return chain.isEmpty() ? ip : chain.get(0);
    }

    private boolean isTrusted(InetAddress a) {
        for (Cidr c : trusted) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    private static String stripPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    /** Closes every open tunnel (the node is stopping). */
    public void closeTunnels() {
        tunnels.close();
    }

    /** Forgets hit-for-pass marks (after a purge or config change). */
    public void clearHitForPass() {
        hitForPass.clear();
    }
}
