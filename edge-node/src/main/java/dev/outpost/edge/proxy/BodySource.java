package dev.outpost.edge.proxy;

import dev.outpost.edge.cache.CachedResponse;
import dev.outpost.edge.cache.Fill;
import dev.outpost.edge.cache.TieredCache;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A stored body read from any offset, wherever it lives: a memory buffer, disk chunks, or a
 * fill still streaming in. Reads return read-only views, never copies of memory bodies.
 */
interface BodySource {

    /** Bytes from {@code pos} (at least one), or null at the end of the body. */
    ByteBuffer read(long pos) throws IOException;

    /** The body length, or -1 while not known (a fill of unknown length). */
    long length();

    /**
     * Waits until the body has its first byte (or has ended): a fill that fails before then
     * throws here, while the response can still be a clean error rather than a cut connection.
     */
    default void awaitStart() throws IOException {
    }

    /**
     * Whether {@link #read} returns copies made for this reader (disk chunks), which a reader
     * that waits on its client holds against {@code limits.slow-reader-memory}, rather than views
     * of buffers shared with others (memory bodies, fills).
     */
    default boolean copied() {
        return false;
    }

    static BodySource memory(ByteBuffer body) {
        return new BodySource() {
            @Override
            public ByteBuffer read(long pos) {
                if (pos >= body.limit()) {
                    return null;
                }
                ByteBuffer b = body.duplicate();
                b.position((int) pos);
                return b;
            }

            @Override
            public long length() {
                return body.limit();
            }
        };
    }

    static BodySource disk(CachedResponse r, TieredCache.BodyReader reader) {
        return new BodySource() {
            @Override
            public ByteBuffer read(long pos) throws IOException {
                if (pos >= r.bodyLength()) {
                    return null;
                }
                ByteBuffer chunk = reader.chunk((int) (pos / r.chunkSize()));
                chunk.position(chunk.position() + (int) (pos % r.chunkSize()));
                return chunk;
            }

            @Override
            public long length() {
                return r.bodyLength();
            }

            @Override
            public boolean copied() {
                return true;
            }
        };
    }

    /** A fill read by one client; {@code reader} records its offset, which paces a fill passed through unstored. */
    static BodySource fill(Fill.Reader reader, long timeoutMillis) {
        Fill fill = reader.fill();
        return new BodySource() {
            @Override
            public ByteBuffer read(long pos) throws IOException {
                return reader.read(pos, timeoutMillis);
            }

            @Override
            public void awaitStart() throws IOException {
                reader.read(0, timeoutMillis);
            }

            @Override
            public long length() {
                return fill.expectedLength() >= 0 ? fill.expectedLength() : fill.finalLength();
            }
        };
    }
}
