package dev.outpost.edge.origin;

import okhttp3.Call;

/**
 * The means to call off an upstream fetch that no client wants any more (its client closed
 * the connection or reset the stream before the response head came, and nobody else waits
 * for it). The pipeline binds one to {@link #CURRENT} around {@link Upstream#fetch}; every call
 * an origin pool or the shield tier makes meanwhile registers with it, so {@link #cancel}
 * cancels the call under way (its connection is closed, never pooled, and the body stops
 * downloading) and refuses any later attempt at once.
 *
 * <p>Bound as a scoped value rather than carried in {@link UpstreamRequest} so that every
 * {@link Upstream} passes it on unchanged, through the shield tier to the origin fallback. A
 * cancelled call is not the server's failure: it neither counts towards ejection nor is
 * retried on another server.
 */
public final class Cancellation {

    /** The cancellation of the fetch the current thread makes, when the pipeline bound one. */
    public static final ScopedValue<Cancellation> CURRENT = ScopedValue.newInstance();

    private Call call;
    private boolean cancelled;
    private boolean settled;

    /** The cancellation bound to this thread, or null. */
    static Cancellation current() {
        return CURRENT.isBound() ? CURRENT.get() : null;
    }

    /** A call about to be executed for this fetch; cancelled at once when the fetch already is. */
    void attach(Call c) {
        boolean now;
        synchronized (this) {
            now = cancelled;
            call = c;
        }
        if (now) {
            c.cancel();
        }
    }

    /**
     * Cancels the call under way and refuses every later one; true when that called off a call
     * that had started out (the first time only), false when none had yet.
     */
    public boolean cancel() {
        Call c;
        synchronized (this) {
            if (cancelled || settled) {
                return false;
            }
            cancelled = true;
            c = call;
        }
        if (c == null) {
            return false;
        }
        c.cancel();
        return true;
    }

    /**
     * The response is in and what is left of it is the cache's (a fill that keeps filling for
     * later clients): from now on {@link #cancel} leaves the call alone.
     */
    public synchronized void settle() {
        settled = true;
    }

    public synchronized boolean cancelled() {
        return cancelled;
    }
}
