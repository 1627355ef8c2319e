package dev.outpost.edge.origin;

import java.net.InetSocketAddress;
import java.net.Proxy;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.Protocol;
import okhttp3.Response;

/**
 * How far one upstream call got, from OkHttp's events: a failure before the request head
 * started out cannot have reached the server, so any request may go to another server and a
 * shield that failed so is down rather than slow.
 *
 * <p>OkHttp itself retries a request whose pooled connection turned out closed, on a new
 * connection; a new connection attempt starts the count again, so a request that went out on a
 * dead keep-alive connection and then found the server refusing connections counts as not sent
 * (OkHttp judged it safe to send again, and the server is down).
 *
 * <p>It also tells whether the attempt under way runs on a reused keep-alive connection and
 * has had no response head yet: the one failure where the server most likely closed the idle
 * connection before it read the request, so that a body kept whole may be sent again
 * ({@link TrackedBody}), and hands every response end to the {@link ConnectionGuard}.
 *
 * <p>On an HTTP/1 connection it arms the connection's {@link InterimScanner} when the request
 * head goes out, so that 1xx interim responses reach the exchange's listener; on HTTP/2 the
 * origin client discards them unseen, and the extra response heads are counted dropped.
 */
final class CallPhase extends EventListener {

    /**
     * Each call's phase: the one it carries as a request tag (live traffic, which reads it
     * back), or a new one (health checks, whose connections are guarded all the same).
     */
    static EventListener.Factory factory(ConnectionGuard guard, InterimSockets.Counts interims) {
        return call -> {
            CallPhase phase = call.request().tag(CallPhase.class);
            return phase == null ? new CallPhase(guard, interims, null) : phase;
        };
    }

    private final ConnectionGuard guard;
    private final InterimSockets.Counts interims;
    private final InterimResponse.Listener interim;
    private int heads;
    private volatile boolean sent;
    private volatile boolean connecting;
    private volatile boolean reused;
    private volatile boolean headReceived;
    private volatile Connection connection;

    /**
     * @param interims counts interim responses (null: not counted)
     * @param interim takes this call's interim responses (null: they are dropped)
     */
    CallPhase(ConnectionGuard guard, InterimSockets.Counts interims, InterimResponse.Listener interim) {
        this.guard = guard;
        this.interims = interims;
        this.interim = interim;
    }

    /** The request head started out on a connection (so the server may have seen it). */
    boolean sent() {
        return sent;
    }

    /**
     * The attempt that just failed ran on a keep-alive connection taken from the pool and got
     * no response head: the server closed the idle connection (it read nothing of the request
     * and answered nothing), so sending the request again on another connection repeats
     * nothing the server did.
     */
    boolean failedOnStaleConnection() {
        return reused && !headReceived;
    }

    @Override
    public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
        sent = false;
        connecting = true;
    }

    @Override
    public void connectionAcquired(Call call, Connection connection) {
        this.connection = connection;
        reused = !connecting;
        connecting = false;
        headReceived = false;
    }

    @Override
    public void requestHeadersStart(Call call) {
        sent = true;
        heads = 0;
        InterimScanner scanner = scanner(connection);
        if (scanner != null) {
            scanner.expectResponse(interim);
        }
    }

    @Override
    public void responseHeadersStart(Call call) {
        Connection c = connection;
        if (++heads > 1 && interims != null && c != null && c.protocol() == Protocol.HTTP_2) {
            interims.dropped(); // an interim head OkHttp read and discarded; HPACK keeps it from us
        }
    }

    @Override
    public void responseHeadersEnd(Call call, Response response) {
        headReceived = true;
        InterimScanner scanner = scanner(connection);
        if (scanner != null) {
            scanner.disarm(); // it has seen the final head already; the body is never scanned
        }
    }

    /** The scanner of an HTTP/1 connection's input, or null. */
    private static InterimScanner scanner(Connection c) {
        if (c == null || c.protocol() == Protocol.HTTP_2 || c.protocol() == Protocol.H2_PRIOR_KNOWLEDGE) {
            return null;
        }
        return c.socket() instanceof InterimSockets.Scanned s ? s.scanner() : null;
    }

    @Override
    public void responseBodyEnd(Call call, long byteCount) {
        // reported before OkHttp releases the connection to its pool
        if (guard != null) {
            guard.responseEnded(connection);
        }
    }
}
