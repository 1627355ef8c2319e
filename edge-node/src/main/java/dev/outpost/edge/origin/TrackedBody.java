package dev.outpost.edge.origin;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;

/**
 * A request body that tells whose fault a failed upload was: a failure writing to the server's
 * connection is the server's, anything else (the client's body too large, too slow, cut off)
 * is the client's and must not count against the server or be retried elsewhere.
 *
 * <p>It also keeps a copy of a small body ({@link #REPLAY_LIMIT}) as it goes out, so that a
 * request whose keep-alive connection the server had closed (no response head, on a reused
 * connection: {@link CallPhase#failedOnStaleConnection()}) can be sent again on a new
 * connection whatever its method. OkHttp asks {@link #isOneShot()} after such a failure and
 * retries on a new connection when the body can be sent again; a larger body, or any other
 * failure, stays one-shot and fails as before.
 */
final class TrackedBody extends RequestBody {

    /** Bodies up to this size are kept for a resend; larger ones stream through, one-shot. */
    static final long REPLAY_LIMIT = 64 * 1024;

    private final RequestBody body;
    private final CallPhase phase;
    private volatile boolean sourceFailed;
    /** The whole body as it went out, once it has, if it fitted; null otherwise. */
    private volatile Buffer sentWhole;

    TrackedBody(RequestBody body, CallPhase phase) {
        this.body = body;
        this.phase = phase;
    }

    /** The body's own source failed (the client), not the connection to the server. */
    boolean sourceFailed() {
        return sourceFailed;
    }

    @Override
    public MediaType contentType() {
        return body.contentType();
    }

    @Override
    public long contentLength() throws IOException {
        return body.contentLength();
    }

    @Override
    public boolean isOneShot() {
        if (!body.isOneShot()) {
            return false;
        }
        return sentWhole == null || !phase.failedOnStaleConnection();
    }

    @Override
    public boolean isDuplex() {
        return body.isDuplex();
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
        Buffer kept = sentWhole;
        if (kept != null) {
            sink.writeAll(kept.copy());
            sink.emit();
            return;
        }
        boolean[] sinkFailed = new boolean[1];
        Buffer copy = body.isOneShot() ? new Buffer() : null;
        boolean[] overflow = new boolean[1];
        BufferedSink tracked = Okio.buffer(new ForwardingSink(sink) {
            @Override
            public void write(Buffer source, long byteCount) throws IOException {
                if (copy != null && !overflow[0]) {
                    if (copy.size() + byteCount > REPLAY_LIMIT) {
                        overflow[0] = true;
                        copy.clear();
                    } else {
                        source.copyTo(copy, 0, byteCount);
                    }
                }
                try {
                    super.write(source, byteCount);
                } catch (IOException e) {
                    sinkFailed[0] = true;
                    throw e;
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    super.flush();
                } catch (IOException e) {
                    sinkFailed[0] = true;
                    throw e;
                }
            }
        });
        try {
            body.writeTo(tracked);
            tracked.emit();
        } catch (IOException | RuntimeException e) {
            if (!sinkFailed[0]) {
                sourceFailed = true;
            }
            throw e;
        }
        if (copy != null && !overflow[0]) {
            sentWhole = copy;
        }
    }
}
