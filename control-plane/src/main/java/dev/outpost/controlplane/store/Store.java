package dev.outpost.controlplane.store;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything the control plane keeps, behind the few operations a distributed store also
 * offers: append to a named log with gapless sequence numbers, read and watch a log from a
 * sequence, and versioned keys changed only by compare-and-set. The embedded implementation is
 * RocksDB ({@link #rocksdb}); {@link EtcdStore} maps the same contract onto etcd (a log entry is a
 * key under {@code PREFIX/log/NAME/} written in a transaction that bumps {@code PREFIX/head/NAME}
 * only if the head is still what the writer read; a key's version is etcd's per-key version; a
 * watch is an etcd watch from a revision), so several control-plane replicas share one truth with
 * no change above this interface.
 *
 * <p>Every write is durable when the call returns. Implementations are thread-safe.
 */
public interface Store extends AutoCloseable {

    /** Opens (or creates) the embedded RocksDB store in {@code dir}. */
    static Store rocksdb(java.nio.file.Path dir) {
        return RocksStore.open(dir);
    }

    /**
     * Opens the store {@code config} names: the embedded RocksDB under {@code data-dir}, or etcd at
     * {@code etcd-endpoints}.
     */
    static Store open(dev.outpost.config.ControlPlaneConfig config) {
        return config.etcd() ? EtcdStore.connect(EtcdOptions.of(config)) : rocksdb(java.nio.file.Path.of(config.dataDir()));
    }

    /** Appends {@code value} to {@code log} and returns its sequence number: 1 for the first entry, then without gaps. */
    default long append(String log, byte[] value) {
        return append(log, seq -> value);
    }

    /**
     * Appends the value made for the entry's sequence number (entries that carry their own
     * number) and returns that number. The function may be called more than once when other
     * writers of a shared store append meanwhile; only the last value is written.
     */
    long append(String log, java.util.function.LongFunction<byte[]> valueForSequence);

    /**
     * Like {@link #append(String, java.util.function.LongFunction)}, but only while the newest
     * entry of {@code log} is {@code expectedHead}: returns -1 without writing when another entry
     * was appended meanwhile (by this process or another replica).
     */
    long appendAt(String log, long expectedHead, java.util.function.LongFunction<byte[]> valueForSequence);

    /**
     * Whether other control-plane processes share this store: then state that would otherwise
     * stay in memory (heartbeat times) goes through it, and each replica refreshes its view.
     */
    default boolean shared() {
        return false;
    }

    /** Up to {@code limit} entries of {@code log} with sequence above {@code after}, in order. */
    List<Entry> read(String log, long after, int limit);

    /** The sequence of the newest entry of {@code log}; 0 when it is empty. */
    long head(String log);

    /**
     * Calls {@code listener} with every entry appended to {@code log} from now on, in order and
     * once each, including entries other replicas append to a shared store. The embedded store
     * calls it on the appending thread, etcd on its watch thread: it must not block. Close the
     * returned handle to stop.
     */
    AutoCloseable watch(String log, Consumer<Entry> listener);

    /** The value of {@code key} and its version, if it exists. */
    Optional<Versioned> get(String key);

    /**
     * Sets {@code key} to {@code value} if its version is {@code expectedVersion} (0: the key
     * must not exist). Returns the new version, or -1 when the key had changed meanwhile.
     */
    long compareAndSet(String key, long expectedVersion, byte[] value);

    /** Removes {@code key} if its version is {@code expectedVersion}; false when it had changed. */
    boolean compareAndDelete(String key, long expectedVersion);

    /** Every key starting with {@code prefix}, in key order. */
    List<KeyValue> scan(String prefix);

    @Override
    void close();

    /** One log entry. */
    record Entry(long sequence, byte[] value) {
    }

    /** A key's value and version (versions increase with every change of the key). */
    record Versioned(long version, byte[] value) {
    }

    /** A key with its value and version. */
    record KeyValue(String key, long version, byte[] value) {
    }

    /** The store failed (disk, corruption); the request that hit it answers 500. */
    final class StoreException extends RuntimeException {
        public StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
