package dev.outpost.controlplane.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store: one RocksDB database, keys by prefix. {@code L/log/} + 8-byte big-endian
 * sequence holds log entries, {@code H/log} a log's head, {@code K/key} a versioned value
 * (8-byte version, then the value). Writes go through one lock and a synced write batch, so a
 * write is on disk and whole before the call returns.
 */
final class RocksStore implements Store {

    private static final Logger LOG = LoggerFactory.getLogger(RocksStore.class);

    static {
        RocksDB.loadLibrary();
    }

    private final RocksDB db;
    private final Options options;
    private final WriteOptions sync;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Map<String, Long> heads = new ConcurrentHashMap<>();
    private final Map<String, List<Consumer<Entry>>> watchers = new ConcurrentHashMap<>();

    private RocksStore(RocksDB db, Options options) {
        this.db = db;
        this.options = options;
        this.sync = new WriteOptions().setSync(true);
    }

    static RocksStore open(Path dir) {
        try {
            Files.createDirectories(dir);
            Options options = new Options().setCreateIfMissing(true).setKeepLogFileNum(3);
            RocksDB db = RocksDB.open(options, dir.toString());
            LOG.info("store open at {}", dir);
            return new RocksStore(db, options);
        } catch (RocksDBException | java.io.IOException e) {
            throw new StoreException("cannot open the store in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long append(String log, java.util.function.LongFunction<byte[]> valueForSequence) {
        return appendAt(log, -1, valueForSequence);
    }

    @Override
    public long appendAt(String log, long expectedHead, java.util.function.LongFunction<byte[]> valueForSequence) {
        writeLock.lock();
        long seq;
        try {
            if (expectedHead >= 0 && head(log) != expectedHead) {
                return -1;
            }
            seq = head(log) + 1;
            byte[] value = valueForSequence.apply(seq);
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(entryKey(log, seq), value);
                batch.put(headKey(log), longBytes(seq));
                db.write(sync, batch);
            } catch (RocksDBException e) {
                throw new StoreException("cannot append to " + log + ": " + e.getMessage(), e);
            }
            heads.put(log, seq);
            Entry entry = new Entry(seq, value);
            for (Consumer<Entry> w : watchers.getOrDefault(log, List.of())) {
                try {
                    w.accept(entry);
                } catch (RuntimeException e) {
                    LOG.warn("watcher of {} failed", log, e);
                }
            }
        } finally {
            writeLock.unlock();
        }
        return seq;
    }

    @Override
    public List<Entry> read(String log, long after, int limit) {
        List<Entry> out = new ArrayList<>();
        byte[] prefix = ("L/" + log + "/").getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = db.newIterator()) {
            it.seek(entryKey(log, after + 1));
            while (it.isValid() && out.size() < limit) {
                byte[] k = it.key();
                if (!startsWith(k, prefix)) {
                    break;
                }
                long seq = ByteBuffer.wrap(k, prefix.length, 8).getLong();
                out.add(new Entry(seq, it.value()));
                it.next();
            }
        }
        return out;
    }

    @Override
    public long head(String log) {
        return heads.computeIfAbsent(log, l -> {
            try {
                byte[] v = db.get(headKey(l));
                return v == null ? 0L : ByteBuffer.wrap(v).getLong();
            } catch (RocksDBException e) {
                throw new StoreException("cannot read the head of " + l + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public AutoCloseable watch(String log, Consumer<Entry> listener) {
        List<Consumer<Entry>> list = watchers.computeIfAbsent(log, l -> new CopyOnWriteArrayList<>());
        list.add(listener);
        return () -> list.remove(listener);
    }

    @Override
    public Optional<Versioned> get(String key) {
        try {
            byte[] v = db.get(kvKey(key));
            return v == null ? Optional.empty()
                    : Optional.of(new Versioned(ByteBuffer.wrap(v).getLong(), Arrays.copyOfRange(v, 8, v.length)));
        } catch (RocksDBException e) {
            throw new StoreException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long compareAndSet(String key, long expectedVersion, byte[] value) {
        writeLock.lock();
        try {
            long current = get(key).map(Versioned::version).orElse(0L);
            if (current != expectedVersion) {
                return -1;
            }
            long next = current + 1;
            byte[] v = ByteBuffer.allocate(8 + value.length).putLong(next).put(value).array();
            db.put(sync, kvKey(key), v);
            return next;
        } catch (RocksDBException e) {
            throw new StoreException("cannot write " + key + ": " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public boolean compareAndDelete(String key, long expectedVersion) {
        writeLock.lock();
        try {
            long current = get(key).map(Versioned::version).orElse(0L);
            if (current != expectedVersion || current == 0) {
                return false;
            }
            db.delete(sync, kvKey(key));
            return true;
        } catch (RocksDBException e) {
            throw new StoreException("cannot delete " + key + ": " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public List<KeyValue> scan(String prefix) {
        List<KeyValue> out = new ArrayList<>();
        byte[] p = kvKey(prefix);
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(p); it.isValid() && startsWith(it.key(), p); it.next()) {
                byte[] v = it.value();
                String key = new String(it.key(), 2, it.key().length - 2, StandardCharsets.UTF_8);
                out.add(new KeyValue(key, ByteBuffer.wrap(v).getLong(), Arrays.copyOfRange(v, 8, v.length)));
            }
        }
        return out;
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            LOG.warn("sync on close failed", e);
        } finally {
            db.close();
            sync.close();
            options.close();
            writeLock.unlock();
        }
    }

    private static byte[] entryKey(String log, long seq) {
        byte[] p = ("L/" + log + "/").getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(p.length + 8).put(p).putLong(seq).array();
    }

    private static byte[] headKey(String log) {
        return ("H/" + log).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] kvKey(String key) {
        return ("K/" + key).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }
}
