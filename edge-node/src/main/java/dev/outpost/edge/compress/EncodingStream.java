package dev.outpost.edge.compress;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Encodes a body chunk by chunk into a sink (a cache fill): the bytes the origin sent are written
 * in, the encoder's output reaches the sink as its buffers fill, and {@link #finish()} writes the
 * trailer. Nothing holds the whole body. Counts bytes in and out and the time spent encoding,
 * for the node's metrics.
 */
public final class EncodingStream {

    /** Where encoded bytes go. */
    @FunctionalInterface
    public interface Sink {
        void write(byte[] buf, int off, int len) throws IOException;
    }

    private final String encoding;
    private final OutputStream encoder;
    private long bytesIn;
    private long bytesOut;
    private long nanos;
    private boolean finished;

    public EncodingStream(String encoding, int level, Sink sink) throws IOException {
        this.encoding = encoding;
        OutputStream counted = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    bytesOut += len;
                    sink.write(b, off, len);
                }
            }
        };
        long t0 = System.nanoTime();
        this.encoder = Encoders.open(encoding, level, counted);
        nanos += System.nanoTime() - t0;
    }

    /** Encodes {@code len} bytes of the body. */
    public void write(byte[] buf, int off, int len) throws IOException {
        long t0 = System.nanoTime();
        encoder.write(buf, off, len);
        bytesIn += len;
        nanos += System.nanoTime() - t0;
    }

    /** The body ended: flushes the encoder and writes its trailer. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        long t0 = System.nanoTime();
        encoder.close();
        nanos += System.nanoTime() - t0;
    }

    /** Releases the encoder (and its native memory) after a failure; nothing more is written. */
    public void abort() {
        if (!finished) {
            finished = true;
            try {
                encoder.close();
            } catch (IOException | RuntimeException ignored) {
                // the body failed already; the encoder only has to let go of its buffers
            }
        }
    }

    public String encoding() {
        return encoding;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public long nanos() {
        return nanos;
    }
}
