package dev.outpost.edge.tunnel;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The direct buffers tunnels copy through, lent only while bytes move: an idle tunnel holds
 * none, so memory follows the traffic, not the number of open tunnels. A few are kept for
 * reuse; the rest are left to the collector.
 */
final class Buffers {

    static final int SIZE = 8 * 1024;

    private final ArrayBlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(64);

    ByteBuffer take() {
        ByteBuffer b = free.poll();
        return b == null ? ByteBuffer.allocateDirect(SIZE) : b.clear();
    }

    void give(ByteBuffer b) {
        free.offer(b);
    }
}
