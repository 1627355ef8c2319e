package dev.outpost.controlplane.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store on etcd, shared by every control-plane replica. Keys under the configured prefix:
 * {@code log/NAME/} + 20-digit sequence holds log entries, {@code head/NAME} a log's newest
 * sequence (decimal), {@code kv/KEY} a versioned value whose version is etcd's per-key version
 * (1 on creation, +1 per change, so compare-and-set compares it).
 *
 * <p>An append reads the head, then commits one transaction "if the head is still N: put entry
 * N+1 and head N+1"; a writer that lost the race reads again. Sequences are therefore gapless and
 * the same for every replica. A watch is an etcd watch on the log's prefix from the revision of
 * the head it started from; entries it delivers are checked against the last one delivered, a
 * gap (a watch resumed after a failure) is filled by reading the log, so every entry reaches each
 * listener once and in order. Every request waits at most {@code etcd-timeout}.
 */
final class EtcdStore implements Store {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdStore.class);

    private final Client client;
    private final KV kv;
    private final String prefix;
    private final long timeoutMillis;
    private final Set<LogWatch> watches = ConcurrentHashMap.newKeySet();
    /**
     * Each log's newest sequence as last seen here (an append, a read of the head, or a watch
     * delivering another replica's entry): an append tries it first, and reads the head only
     * when the transaction finds it stale.
     */
    private final Map<String, Long> knownHeads = new ConcurrentHashMap<>();
    private final ScheduledExecutorService rewatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "etcd-rewatch");
        t.setDaemon(true);
        return t;
    });

    private EtcdStore(Client client, String prefix, long timeoutMillis) {
        this.client = client;
        this.kv = client.getKVClient();
        this.prefix = prefix;
        this.timeoutMillis = timeoutMillis;
    }

    static EtcdStore connect(EtcdOptions o) {
        ClientBuilder b = Client.builder().endpoints(o.endpoints().toArray(String[]::new))
                .connectTimeout(o.timeout())
                .keepaliveTime(java.time.Duration.ofSeconds(10))
                .keepaliveTimeout(o.timeout())
                .retryMaxDuration(o.timeout());
        if (o.user() != null) {
            b.user(bytes(o.user())).password(bytes(o.password() == null ? "" : o.password()));
        }
        if (o.ca() != null || o.cert() != null) {
            try {
                SslContextBuilder ssl = SslContextBuilder.forClient();
                if (o.ca() != null) {
                    ssl.trustManager(o.ca().toFile());
                }
                if (o.cert() != null) {
                    ssl.keyManager(o.cert().toFile(), o.key().toFile());
                }
                b.sslContext(ssl.build());
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalArgumentException("etcd TLS: cannot load the PEM files: " + e.getMessage(), e);
            }
        }
        EtcdStore store = new EtcdStore(b.build(), o.prefix(), o.timeout().toMillis());
        try {
            // the first request also loads and starts the gRPC client: give it longer than one request
            long firstMillis = Math.max(store.timeoutMillis, 30_000);
            store.kv.get(bytes(o.prefix() + "head/")).get(firstMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            store.close();
            throw new StoreException("cannot reach etcd at " + o.endpoints() + ": " + message(e), e);
        }
        LOG.info("store on etcd at {} under {}", o.endpoints(), o.prefix());
        return store;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public long append(String log, LongFunction<byte[]> valueForSequence) {
        for (int attempt = 0; ; attempt++) {
            Long known = attempt == 0 ? knownHeads.get(log) : null;
            long head = known != null ? known : head(log);
            long seq = tryAppend(log, head, valueForSequence);
            if (seq > 0) {
                return seq;
            }
            if (attempt > 1000) {
                throw new StoreException("cannot append to " + log + ": too much contention", null);
            }
        }
    }

    @Override
    public long appendAt(String log, long expectedHead, LongFunction<byte[]> valueForSequence) {
        if (expectedHead < 0) {
            return append(log, valueForSequence);
        }
        if (head(log) != expectedHead) {
            return -1;
        }
        return tryAppend(log, expectedHead, valueForSequence);
    }

    private long tryAppend(String log, long head, LongFunction<byte[]> valueForSequence) {
        long seq = head + 1;
        ByteSequence hk = bytes(headKey(log));
        Cmp unchanged = head == 0 ? new Cmp(hk, Cmp.Op.EQUAL, CmpTarget.version(0))
                : new Cmp(hk, Cmp.Op.EQUAL, CmpTarget.value(bytes(Long.toString(head))));
        TxnResponse r = await(kv.txn().If(unchanged)
                .Then(Op.put(bytes(entryKey(log, seq)), ByteSequence.from(valueForSequence.apply(seq)), PutOption.DEFAULT),
                        Op.put(hk, bytes(Long.toString(seq)), PutOption.DEFAULT))
                .commit(), "append to " + log);
        if (r.isSucceeded()) {
            sawHead(log, seq);
            return seq;
        }
        return -1;
    }

    private void sawHead(String log, long seq) {
        knownHeads.merge(log, seq, Math::max);
    }

    @Override
    public List<Entry> read(String log, long after, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        GetResponse r = await(kv.get(bytes(entryKey(log, after + 1)), GetOption.builder()
                .withRange(bytes(prefix + "log/" + log + "0")) // '0' follows '/': the end of this log's keys
                .withLimit(limit).build()), "read " + log);
        List<Entry> out = new ArrayList<>(r.getKvs().size());
        for (io.etcd.jetcd.KeyValue e : r.getKvs()) {
            out.add(new Entry(sequenceOf(e.getKey()), e.getValue().getBytes()));
        }
        return out;
    }

    @Override
    public long head(String log) {
        long head = headOf(await(kv.get(bytes(headKey(log))), "read the head of " + log));
        knownHeads.put(log, head);
        return head;
    }

    private static long headOf(GetResponse r) {
        return r.getKvs().isEmpty() ? 0 : Long.parseLong(r.getKvs().getFirst().getValue().toString(StandardCharsets.US_ASCII));
    }

    @Override
    public AutoCloseable watch(String log, Consumer<Entry> listener) {
        LogWatch w = new LogWatch(log, listener);
        watches.add(w);
        w.start();
        return () -> {
            watches.remove(w);
            w.close();
        };
    }

    @Override
    public Optional<Versioned> get(String key) {
        GetResponse r = await(kv.get(bytes(kvKey(key))), "read " + key);
        if (r.getKvs().isEmpty()) {
            return Optional.empty();
        }
        io.etcd.jetcd.KeyValue e = r.getKvs().getFirst();
        return Optional.of(new Versioned(e.getVersion(), e.getValue().getBytes()));
    }

    @Override
    public long compareAndSet(String key, long expectedVersion, byte[] value) {
        ByteSequence k = bytes(kvKey(key));
        TxnResponse r = await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(expectedVersion)))
                .Then(Op.put(k, ByteSequence.from(value), PutOption.DEFAULT)).commit(), "write " + key);
        return r.isSucceeded() ? expectedVersion + 1 : -1;
    }

    @Override
    public boolean compareAndDelete(String key, long expectedVersion) {
        if (expectedVersion <= 0) {
            return false;
        }
        ByteSequence k = bytes(kvKey(key));
        TxnResponse r = await(kv.txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(expectedVersion)))
                .Then(Op.delete(k, DeleteOption.DEFAULT)).commit(), "delete " + key);
        return r.isSucceeded();
    }

    @Override
    public List<KeyValue> scan(String keyPrefix) {
        String p = kvKey(keyPrefix);
        GetResponse r = await(kv.get(bytes(p), GetOption.builder().isPrefix(true)
                .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND).build()), "scan " + keyPrefix);
        List<Store.KeyValue> out = new ArrayList<>(r.getKvs().size());
        int strip = (prefix + "kv/").length();
        for (io.etcd.jetcd.KeyValue e : r.getKvs()) {
            out.add(new Store.KeyValue(e.getKey().toString(StandardCharsets.UTF_8).substring(strip), e.getVersion(),
                    e.getValue().getBytes()));
        }
        return out;
    }

    /**
     * Closes the watches and the client, waiting at most the request timeout (at least 1 s) for
     * them: a watch delivering an entry holds its lock for as long as that takes, and the gRPC
     * client closes on its own threads; what is still running then is left to end (daemons).
     */
    @Override
    public void close() {
        Thread closer = new Thread(() -> {
            for (LogWatch w : watches) {
                w.close();
            }
            watches.clear();
            rewatch.shutdownNow();
            client.close();
        }, "etcd-store-close");
        closer.setDaemon(true);
        closer.start();
        long bound = Math.max(1000, timeoutMillis);
        try {
            closer.join(bound);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("etcd store not closed within {} ms; leaving it to finish", bound);
        }
    }

    private <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new StoreException("interrupted: " + what, e);
        } catch (ExecutionException | TimeoutException e) {
            f.cancel(true);
            throw new StoreException("etcd: cannot " + what + ": " + message(e), e);
        }
    }

    private static String message(Throwable e) {
        Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return c instanceof TimeoutException ? "no answer in time" : String.valueOf(c.getMessage());
    }

    private String headKey(String log) {
        return prefix + "head/" + log;
    }

    private String entryKey(String log, long seq) {
        return prefix + "log/" + log + "/" + String.format("%020d", seq);
    }

    private String kvKey(String key) {
        return prefix + "kv/" + key;
    }

    private static long sequenceOf(ByteSequence key) {
        String k = key.toString(StandardCharsets.US_ASCII);
        return Long.parseLong(k.substring(k.lastIndexOf('/') + 1));
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** One listener's watch of one log; restarted from its last delivered entry after a failure. */
    private final class LogWatch implements AutoCloseable {
        private final String log;
        private final Consumer<Entry> listener;
        private long delivered;
        private Watch.Watcher watcher;
        private boolean closed;

        LogWatch(String log, Consumer<Entry> listener) {
            this.log = log;
            this.listener = listener;
        }

        synchronized void start() {
            GetResponse h = await(kv.get(bytes(headKey(log))), "read the head of " + log);
            delivered = headOf(h);
            watchFrom(h.getHeader().getRevision() + 1);
        }

        private synchronized void watchFrom(long revision) {
            if (closed) {
                return;
            }
            watcher = client.getWatchClient().watch(bytes(prefix + "log/" + log + "/"),
                    WatchOption.builder().isPrefix(true).withRevision(revision).build(),
                    Watch.listener(this::onResponse, this::onError));
        }

        private synchronized void onResponse(WatchResponse r) {
            for (WatchEvent ev : r.getEvents()) {
                if (ev.getEventType() != WatchEvent.EventType.PUT) {
                    continue;
                }
                long seq = sequenceOf(ev.getKeyValue().getKey());
                if (seq <= delivered) {
                    continue;
                }
                if (seq > delivered + 1) {
                    fill(seq - 1);
                }
                if (seq == delivered + 1) {
                    deliver(new Entry(seq, ev.getKeyValue().getValue().getBytes()));
                }
            }
        }

        private void fill(long upTo) {
            while (delivered < upTo) {
                List<Entry> page = read(log, delivered, (int) Math.min(256, upTo - delivered));
                if (page.isEmpty()) {
                    return;
                }
                for (Entry e : page) {
                    if (e.sequence() == delivered + 1) {
                        deliver(e);
                    }
                }
            }
        }

        private void deliver(Entry e) {
            delivered = e.sequence();
            sawHead(log, e.sequence());
            try {
                listener.accept(e);
            } catch (RuntimeException ex) {
                LOG.warn("watcher of {} failed", log, ex);
            }
        }

        private void onError(Throwable t) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                LOG.warn("etcd watch of {} failed after #{}; resuming: {}", log, delivered, t.toString());
                if (watcher != null) {
                    watcher.close();
                    watcher = null;
                }
            }
            rewatch.schedule(this::resume, 500, TimeUnit.MILLISECONDS);
        }

        private void resume() {
            try {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    GetResponse h = await(kv.get(bytes(headKey(log))), "read the head of " + log);
                    fill(headOf(h));
                    watchFrom(h.getHeader().getRevision() + 1);
                }
            } catch (RuntimeException e) {
                LOG.warn("etcd watch of {} not resumed yet: {}", log, e.getMessage());
                if (!rewatch.isShutdown()) {
                    rewatch.schedule(this::resume, 1, TimeUnit.SECONDS);
                }
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (watcher != null) {
                watcher.close();
            }
        }
    }
}
