package dev.outpost.edge.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a client that reads slower than the node writes (or not at all) may hold, node-wide:
 * <ul>
 *   <li>the write timeout ({@code limits.write-timeout}): a response whose client accepts no
 *   byte for that long is cut off (connection closed, or HTTP/2 stream reset), which releases
 *   every buffer it held; counted in {@code outpost_write_timeouts_total}. Responses written from
 *   a virtual thread ({@link ChannelSink}) wait for that long at most; responses handed whole to
 *   Undertow's sender on the I/O thread (memory hits) are watched by a timer on that thread,
 *   armed only when the socket did not take the whole response at once, so a fast memory hit
 *   allocates nothing more.</li>
 *   <li>the slow-reader budget ({@code limits.slow-reader-memory}): bytes of body chunks copied
 *   from disk that wait on a client's socket. A chunk the socket cannot take now is kept only
 *   within the budget; past it, the chunk is let go and read again from disk once the client has
 *   drained its socket (counted in {@code outpost_slow_reader_chunks_released_total}). Memory
 *   bodies are shared read-only views, never copies, so a chunk budget is not taken for them; but
 *   a memory-tier body that is evicted while a slow reader still has it to write stays in memory
 *   until that reader is done. So the bytes still to write of responses handed to the sender
 *   count too ({@link #pending}), and while the two together are past the budget, disk hits are
 *   not promoted into the memory tier ({@link #underBudget}): a flood of slow readers cannot
 *   make the memory tier churn and leave every evicted body pinned.</li>
 * </ul>
 */
final class SlowReaders {

    private final long writeTimeoutMillis;
    private final long budget;
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong pending = new AtomicLong();
    private final Counter timeouts;
    private final Counter released;

    SlowReaders(long writeTimeoutMillis, long budgetBytes, MeterRegistry registry) {
        this.writeTimeoutMillis = writeTimeoutMillis;
        this.budget = budgetBytes;
        this.timeouts = Counter.builder("outpost.write.timeouts")
                .description("Responses cut off because their client accepted no byte for limits.write-timeout")
                .register(registry);
        this.released = Counter.builder("outpost.slow.reader.chunks.released")
                .description("Body chunks let go while their client could not take them (limits.slow-reader-memory), read again later")
                .register(registry);
        Gauge.builder("outpost.slow.reader.bytes", this, r -> r.held.get() + r.pending.get())
                .description("Bytes held for clients slower than the node: copied chunks, and what is left to write of "
                        + "responses handed whole to the sender").register(registry);
    }

    long writeTimeoutMillis() {
        return writeTimeoutMillis;
    }

    /**
     * Takes {@code bytes} of the budget for a chunk that waits on its client; false (and the
     * release counted) when that would go past the budget: the caller lets the chunk go.
     */
    boolean hold(long bytes) {
        if (held.addAndGet(bytes) > budget) {
            held.addAndGet(-bytes);
            released.increment();
            return false;
        }
        return true;
    }

    /** Gives back what {@link #hold} took. */
    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    /** Bytes of copied chunks held now. */
    long held() {
        return held.get();
    }

    /** Bytes still to write of responses handed whole to Undertow's sender whose client is slow. */
    long pending() {
        return pending.get();
    }

    /** Whether slow readers hold less than the budget (chunks and pending sends together). */
    boolean underBudget() {
        return held.get() + pending.get() < budget;
    }

    /** Counts a response cut off by the write timeout. */
    void timedOut() {
        timeouts.increment();
    }

    /**
     * Called on the I/O thread right after a response was handed to Undertow's sender: when the
     * socket did not take it all, a timer cuts the response off once its client has accepted no
     * byte for the write timeout. A response already complete costs nothing. {@code left}: bytes
     * of the body the socket did not take yet.
     */
    void watch(HttpServerExchange ex, long left) {
        if (ex.isResponseComplete() || !ex.getConnection().isOpen()) {
            return;
        }
        pending.addAndGet(left);
        new Watch(ex, left).schedule();
    }

    /** The timer of one response written on the I/O thread; it checks every second (four times per timeout when shorter). */
    private final class Watch implements Runnable {
        private final HttpServerExchange exchange;
        private final long left;
        private long lastBytes;
        private long lastProgress;

        Watch(HttpServerExchange exchange, long left) {
            this.exchange = exchange;
            this.left = left;
            this.lastBytes = exchange.getResponseBytesSent();
            this.lastProgress = System.nanoTime();
        }

        void schedule() {
            // at least once a second, so a response that completed stops counting as pending soon
            exchange.getIoThread().executeAfter(this, Math.max(50, Math.min(1_000, writeTimeoutMillis / 4)),
                    TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            if (exchange.isResponseComplete() || !exchange.getConnection().isOpen()) {
                pending.addAndGet(-left);
                return;
            }
            long bytes = exchange.getResponseBytesSent();
            long now = System.nanoTime();
            if (bytes != lastBytes) {
                lastBytes = bytes;
                lastProgress = now;
            } else if (now - lastProgress >= TimeUnit.MILLISECONDS.toNanos(writeTimeoutMillis)) {
                timedOut();
                ResponseWriter.abort(exchange);
                pending.addAndGet(-left);
                return;
            }
            schedule();
        }
    }
}
