package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.cache.Fill;
import dev.outpost.edge.cache.TieredCache;
import dev.outpost.edge.http.CacheStatus;
import dev.outpost.edge.http.StoragePolicy;
import dev.outpost.edge.http.StoreDecision;
import dev.outpost.edge.metrics.EdgeMetrics;
import dev.outpost.edge.metrics.Outcome;
import dev.outpost.edge.origin.UpstreamException;
import dev.outpost.edge.origin.UpstreamRequest;
import dev.outpost.edge.origin.UpstreamResponse;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers a range request that missed from aligned slices of the object ({@code slice-size}, as
 * nginx's slice module does) instead of fetching the whole object: each slice is asked upstream
 * as {@code Range: bytes=N*size-((N+1)*size-1)}, stored under its own key (an extra part of the
 * object's key, so purges of the URL take it too) and the client's range is cut from the slices
 * it spans. A slice that holds the whole object (a small object) is stored as the object itself.
 *
 * <p>Slices of one answer must be of one representation: a stored slice whose validators differ
 * from the first slice's is dropped and fetched again; a fetched one that differs means the
 * first is outdated: the client's response is cut off (never spliced from two versions) and the
 * slices are dropped, so the next request fetches them anew. An origin that answers the first
 * slice with anything but a fitting 206 sends the request down the ordinary path: a 200 (an
 * origin that ignores Range) or an error is handed to it as the answer, stored as before with no
 * second request; a 416, an ill-fitting 206 or no answer makes it fetch the object whole. A
 * request for a slice whose fill is under way reads that fill (collapsed), as misses of whole
 * objects do; requests that miss at the same moment may each fetch it.
 */
final class SliceFetcher {

    private final ProxyHandler proxy;
    private final TieredCache cache;
    private final StoragePolicy policy;
    private final ResponseWriter writer;
    private final UpstreamRequests requests;
    private final EdgeMetrics metrics;
    private final InstantSource clock;
    private final String cacheId;
    /** Slice fills under way, by slice key: a request for a slice being fetched reads that fill. */
    private final ConcurrentHashMap<String, Fill> inFlight = new ConcurrentHashMap<>();

    SliceFetcher(ProxyHandler proxy, TieredCache cache, StoragePolicy policy, ResponseWriter writer,
                 UpstreamRequests requests, EdgeMetrics metrics, InstantSource clock, String cacheId) {
        this.proxy = proxy;
        this.cache = cache;
        this.policy = policy;
        this.writer = writer;
        this.requests = requests;
        this.metrics = metrics;
        this.clock = clock;
        this.cacheId = cacheId;
    }

    /** One slice ready to read: its metadata, what its Content-Range says, its body. */
    private record Slice(CachedResponse head, Slices.Part part, BodySource body, AutoCloseable resource, boolean fetched,
                         boolean stored, String tier, boolean whole, boolean collapsed) {
        void close() {
            if (resource != null) {
                try {
                    resource.close();
                } catch (Exception ignored) {
                    // a reader or an upstream body: nothing more to do
                }
            }
        }
    }

    /** The first slice was answered already (a refusal): nothing more to do. */
    private static final Slice ANSWERED = new Slice(null, null, null, null, false, false, EdgeMetrics.NONE, false, false);

    /**
     * Answers {@code wanted} from slices of {@code sliceSize}; false, having written nothing, when
     * the request should take the ordinary path.
     */
    boolean serve(RequestContext ctx, Slices.Wanted wanted, long sliceSize, String peerIp, boolean peerTrusted)
            throws IOException {
        long index = wanted.first() / sliceSize;
        Slice first = obtain(ctx, index, sliceSize, null, peerIp, peerTrusted);
        if (first == null) {
            return false;
        }
        if (first == ANSWERED) {
            return true;
        }
        long now = clock.millis();
        HttpServerExchange ex = ctx.exchange;
        CacheStatus cs = first.fetched()
                ? CacheStatus.forward(cacheId, "miss").fwdStatus(206)
                : CacheStatus.hit(cacheId);
        if (first.stored() || !first.fetched()) {
            if (first.fetched()) {
                cs.stored();
            }
            if (first.collapsed()) {
                cs.collapsed();
            }
            cs.ttl(first.head().ttl(now));
        }
        ctx.outcome = first.fetched() ? Outcome.MISS : Outcome.HIT;
        ctx.tier = first.tier();
        try {
            if (first.whole()) {
                // the object fits in one slice: answered as a stored object is (206, or 416)
                writer.serveStored(ctx, first.head(), first.body(), first.head().age(now), cs.toString());
                return true;
            }
            cs.detail("slice");
            long complete = first.part().complete();
            HeaderMap out = ex.getResponseHeaders();
            if (wanted.first() >= complete) {
                ex.setStatusCode(416);
                writer.storedHeaders(ctx, first.head(), false);
                writer.cacheHeaders(ctx, first.head().age(now), cs.toString());
                out.put(Headers.CONTENT_RANGE, "bytes */" + complete);
                out.put(Headers.CONTENT_LENGTH, "0");
                out.remove(Headers.CONTENT_TYPE);
                ex.endExchange();
                return true;
            }
            long last = wanted.last() < 0 ? complete - 1 : Math.min(wanted.last(), complete - 1);
            ex.setStatusCode(206);
            writer.storedHeaders(ctx, first.head(), false);
            writer.cacheHeaders(ctx, first.head().age(now), cs.toString());
            out.put(Headers.ACCEPT_RANGES, "bytes");
            out.put(Headers.CONTENT_RANGE, "bytes " + wanted.first() + "-" + last + "/" + complete);
            out.put(Headers.CONTENT_LENGTH, Long.toString(last - wanted.first() + 1));
            ChannelSink sink = writer.sink(ex);
            Slice cur = first;
            long i = index;
            while (true) {
                long start = i * sliceSize;
                long from = Math.max(wanted.first(), start) - start;
                long to = Math.min(last, cur.part().last()) - start + 1;
                long before = ctx.bodyBytes;
                try {
                    ResponseWriter.copy(cur.body(), from, to, sink, ctx);
                } finally {
                    if (cur != first) {
                        cur.close();
                    }
                }
                if (ctx.bodyBytes - before != to - from) {
                    throw new IOException("slice " + i + " of " + ctx.primaryKey + " ended short");
                }
                if (cur.part().last() >= last) {
                    break;
                }
                i++;
                Slice next = obtain(ctx, i, sliceSize, first.head(), peerIp, peerTrusted);
                if (next == null || next == ANSWERED || next.part().complete() != complete) {
                    // another representation upstream, or no answer: never splice, drop what is stored
                    for (long j = index; j <= i; j++) {
                        cache.remove(Slices.key(ctx.primaryKey, sliceSize, j));
                    }
                    throw new IOException("slice " + i + " of " + ctx.primaryKey + " could not be had for this representation");
                }
                cur = next;
            }
            sink.finish();
            return true;
        } finally {
            first.close();
        }
    }

    /**
     * Slice {@code index}: from the cache when a fresh copy of the representation of
     * {@code reference} (any, for the first) is stored, else from upstream. Null when upstream
     * gave no fitting 206, or gave one of another representation than {@code reference}.
     */
    private Slice obtain(RequestContext ctx, long index, long sliceSize, CachedResponse reference, String peerIp,
                         boolean peerTrusted) throws IOException {
        String key = Slices.key(ctx.primaryKey, sliceSize, index);
        long now = clock.millis();
        if (cache.lookup(key, names -> key) instanceof TieredCache.Hit hit) {
            CachedResponse r = hit.response();
            Slices.Part p = Slices.part(r.first("content-range"));
            if (r.status() == 206 && r.isFresh(now) && p != null && p.complete() >= 0 && p.first() == index * sliceSize
                    && (reference == null || Slices.sameRepresentation(reference, r))) {
                cache.touch(hit);
                return new Slice(r, p, proxy.body(hit), null, false, true,
                        hit.tier() == TieredCache.Tier.MEMORY ? EdgeMetrics.MEMORY : EdgeMetrics.DISK, false, false);
            }
            cache.remove(key); // stale, or of another representation: fetched again
        }
        Fill pending = inFlight.get(key);
        if (pending != null && pending.failure() == null && !pending.invalidated()) {
            CachedResponse h = pending.head();
            boolean whole = h.status() == 200;
            Slices.Part p = whole ? new Slices.Part(0, h.bodyLength() - 1, h.bodyLength())
                    : Slices.part(h.first("content-range"));
            if (p != null && (reference == null || !whole && Slices.sameRepresentation(reference, h))) {
                Fill.Reader reader = pending.attach();
                return new Slice(h, p, BodySource.fill(reader, writer.fillWaitMillis()), reader, true, true,
                        EdgeMetrics.NONE, whole, true);
            }
        }
        if (reference == null && proxy.refusedOverOriginBudget(ctx)) {
            return ANSWERED;
        }
        UpstreamRequest base = requests.build(ctx, "GET", true, null, null, peerIp, peerTrusted);
        List<String> names = new ArrayList<>(base.headerNames());
        List<String> values = new ArrayList<>(base.headerValues());
        names.add("Range");
        values.add(Slices.upstreamRange(sliceSize, index));
        UpstreamRequest req = new UpstreamRequest("GET", base.target(), names, values, null, base.cacheKey(),
                base.clientIp(), base.originName());
        long t0 = clock.millis();
        long n0 = System.nanoTime();
        UpstreamResponse resp;
        try {
            resp = ProxyHandler.fetchUpstream(ctx, req);
        } catch (UpstreamException e) {
            metrics.origin("error", -1);
            return null;
        }
        long t1 = clock.millis();
        ctx.originNanos = System.nanoTime() - n0;
        metrics.origin(Integer.toString(resp.status()), ctx.originNanos);
        Slices.Part p = resp.status() == 206 ? Slices.part(resp.first("content-range")) : null;
        long start = index * sliceSize;
        if (p == null || p.complete() < 0 || p.first() != start
                || p.last() != Math.min(start + sliceSize, p.complete()) - 1
                || resp.contentLength() >= 0 && resp.contentLength() != p.last() - p.first() + 1) {
            if (reference == null && resp.status() != 206 && resp.status() != 416) {
                // the origin ignored Range (or answered an error): the ordinary path stores this answer
                ctx.prefetched = resp;
                ctx.prefetchedAt = t0;
            } else {
                resp.close(); // not a slice: the ordinary path fetches the object whole
            }
            return null;
        }
        StoreDecision d = policy.decide(ctx.headers.contains("authorization"), ctx.requestCc.noStore(), 200, resp,
                ctx.rule, t0, t1);
        CachedResponse head = proxy.head(ctx, resp, d, t0, t1);
        if (reference != null && !Slices.sameRepresentation(reference, head)) {
            resp.close();
            return null;
        }
        boolean whole = p.first() == 0 && p.last() == p.complete() - 1;
        head = whole ? Slices.withoutContentRange(head, head.key(), 200) : Slices.withoutContentRange(head, key, 206);
        long length = whole ? p.complete() : p.last() - p.first() + 1;
        Fill fill = d.store() && head.varyNames().isEmpty() && !ProxyHandler.encoded(resp) ? cache.beginFill(head, length)
                : null;
        if (fill != null) {
            Fill.Reader reader = fill.attach();
            OriginBudget.Account account = ctx.originAccount;
            inFlight.put(key, fill);
            Thread.ofVirtual().name("fill-slice").start(() -> proxy.pump(resp, fill, () -> inFlight.remove(key, fill),
                    account));
            return new Slice(fill.head(), p, BodySource.fill(reader, writer.fillWaitMillis()), reader, true, true,
                    EdgeMetrics.NONE, whole, false);
        }
        return new Slice(head.withBodyLength(length), p, stream(resp, length, ctx.originAccount), resp, true, false,
                EdgeMetrics.NONE, whole, false);
    }

    /** An upstream body read once, front to back, for a slice that is not stored. */
    private BodySource stream(UpstreamResponse resp, long length, OriginBudget.Account account) {
        InputStream in = resp.body();
        byte[] buf = new byte[16 * 1024];
        return new BodySource() {
            private long consumed;

            @Override
            public ByteBuffer read(long pos) throws IOException {
                while (consumed < pos) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, pos - consumed));
                    if (n < 0) {
                        return null;
                    }
                    counted(n);
                }
                int n = in.read(buf);
                if (n < 0) {
                    return null;
                }
                counted(n);
                return ByteBuffer.wrap(buf, 0, n);
            }

            private void counted(int n) {
                consumed += n;
                OriginBudget.read(metrics, account, n);
            }

            @Override
            public long length() {
                return length;
            }
        };
    }
}
