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
 */
final class TrackedBody extends RequestBody {

    private final RequestBody body;
    private volatile boolean sourceFailed;

    TrackedBody(RequestBody body) {
        this.body = body;
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
        return body.isOneShot();
    }

    @Override
    public boolean isDuplex() {
        return body.isDuplex();
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
        boolean[] sinkFailed = new boolean[1];
        BufferedSink tracked = Okio.buffer(new ForwardingSink(sink) {
            @Override
            public void write(Buffer source, long byteCount) throws IOException {
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
    }
}
