package dev.outpost.edge.origin;

import java.net.InetSocketAddress;
import java.net.Proxy;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * How far one upstream call got, from OkHttp's events: a failure before the request head
 * started out cannot have reached the server, so any request may go to another server and a
 * shield that failed so is down rather than slow.
 *
 * <p>OkHttp itself retries a request whose pooled connection turned out closed, on a new
 * connection; a new connection attempt starts the count again, so a request that went out on a
 * dead keep-alive connection and then found the server refusing connections counts as not sent
 * (OkHttp judged it safe to send again, and the server is down).
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
    public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
        sent = false;
    }

    @Override
    public void requestHeadersStart(Call call) {
        sent = true;
    }
}
