package dev.outpost.controlplane.store;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything the control plane keeps, behind the few operations a distributed store also
 * offers: append to a named log with gapless sequence numbers, read and watch a log from a
 * sequence, and versioned keys changed only by compare-and-set. The embedded implementation is
 * RocksDB ({@link #rocksdb}); etcd maps onto the same contract (a log entry is a key under
 * {@code /log/NAME/} written in a transaction that bumps {@code /head/NAME}; a key's version is
 * its {@code mod_revision}; a watch is an etcd watch from a revision), so several control-plane
 * replicas can later share one truth without changes above this interface.
 *
 * <p>Every write is durable when the call returns. Implementations are thread-safe.
 */
public interface Store extends AutoCloseable {

    /** Opens (or creates) the embedded RocksDB store in {@code dir}. */
    static Store rocksdb(java.nio.file.Path dir) {
        return RocksStore.open(dir);
    }

    /** Appends {@code value} to {@code log} and returns its sequence number: 1 for the first entry, then without gaps. */
    long append(String log, byte[] value);

    /** Up to {@code limit} entries of {@code log} with sequence above {@code after}, in order. */
    List<Entry> read(String log, long after, int limit);

    /** The sequence of the newest entry of {@code log}; 0 when it is empty. */
    long head(String log);

    /**
     * Calls {@code listener} with every entry appended to {@code log} from now on, in order, on
     * the appending thread (so it must not block). Close the returned handle to stop.
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
