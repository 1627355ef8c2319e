package dev.outpost.edge.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A result set once, whose callbacks run in the order they were registered. Collapsed waiters
 * register as their requests arrive, so they are answered first come, first served: the
 * request that has waited longest is answered first. (A {@code CompletableFuture} runs its
 * dependents last registered first, which answers a crowd's earliest requests last.)
 */
final class ArrivalOrder<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ArrivalOrder.class);

    private final CountDownLatch done = new CountDownLatch(1);
    private List<Consumer<? super T>> callbacks = new ArrayList<>();
    private volatile T result;
    private volatile boolean set;

    /** Calls {@code action} with the result once it is set: at once, on this thread, if it is. */
    void whenSet(Consumer<? super T> action) {
        synchronized (this) {
            if (!set) {
                callbacks.add(action);
                return;
            }
        }
        action.accept(result);
    }

    /** Sets the result and runs the callbacks in registration order, on this thread; false if it was already set. */
    boolean set(T value) {
        List<Consumer<? super T>> pending;
        synchronized (this) {
            if (set) {
                return false;
            }
            result = value;
            set = true;
            pending = callbacks;
            callbacks = null;
        }
        done.countDown();
        for (Consumer<? super T> c : pending) {
            try {
                c.accept(value);
            } catch (RuntimeException e) {
                LOG.error("a waiter's callback failed", e); // the others are still answered
            }
        }
        return true;
    }

    boolean isSet() {
        return set;
    }

    /** The result, or null when it is not set yet. */
    T now() {
        return set ? result : null;
    }

    /** Waits up to {@code timeoutMillis} for the result; null when it did not come in time. */
    T await(long timeoutMillis) throws InterruptedException {
        return done.await(timeoutMillis, TimeUnit.MILLISECONDS) ? result : null;
    }
}
