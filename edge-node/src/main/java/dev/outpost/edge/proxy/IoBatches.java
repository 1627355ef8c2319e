package dev.outpost.edge.proxy;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xnio.XnioIoThread;

/**
 * Hands work to I/O threads in batches: tasks posted to one thread while an earlier batch has
 * not started run in that batch, so answering a crowd of collapsed waiters costs each I/O
 * thread one wake-up rather than one per waiter.
 */
final class IoBatches {

    private final Map<XnioIoThread, Batch> batches = new ConcurrentHashMap<>();

    void execute(XnioIoThread thread, Runnable task) {
        batches.computeIfAbsent(thread, Batch::new).add(task);
    }

    private static final class Batch implements Runnable {
        private final XnioIoThread thread;
        private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        Batch(XnioIoThread thread) {
            this.thread = thread;
        }

        void add(Runnable task) {
            tasks.add(task);
            if (scheduled.compareAndSet(false, true)) {
                thread.execute(this);
            }
        }

        @Override
        public void run() {
            scheduled.set(false); // a task added from now on is either taken below or schedules a new batch
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }
    }
}
