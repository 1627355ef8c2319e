package dev.outpost.edge.origin;

import okhttp3.Call;
import okhttp3.EventListener;

/**
 * How far one upstream call got, from OkHttp's events: a failure before the request head
 * started out cannot have reached the server, so any request may go to another server and a
 * shield that failed so is down rather than slow.
 */
final class CallPhase extends EventListener {

    /** Creates no listener of its own: each call carries its phase as a request tag. */
    static final EventListener.Factory FACTORY = call -> {
        CallPhase phase = call.request().tag(CallPhase.class);
        return phase == null ? EventListener.NONE : phase;
    };

    private volatile boolean sent;

    /** The request head started out on a connection (so the server may have seen it). */
    boolean sent() {
        return sent;
    }

    @Override
    public void requestHeadersStart(Call call) {
        sent = true;
    }
}
