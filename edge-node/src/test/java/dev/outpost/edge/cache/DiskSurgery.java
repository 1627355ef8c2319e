package dev.outpost.edge.cache;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/**
 * Opens a stopped node's disk tier directly, to damage it the way a bad disk or a bug would,
 * so tests can check that damage is detected and never served.
 */
public final class DiskSurgery {

    private DiskSurgery() {
    }

    /** Flips a byte in chunk {@code index} of the body stored under {@code key}. */
    public static void corruptChunk(Path dataDir, String key, int index) throws Exception {
        withDb(dataDir, (db, cfs) -> {
            CachedResponse r = MetaCodec.decode(db.get(cfs.get(1), key.getBytes(StandardCharsets.UTF_8)));
            byte[] k = DiskTier.chunkKey(r.fillId(), index);
            byte[] v = db.get(cfs.get(2), k);
            v[v.length - 1] ^= 0x55;
            db.put(cfs.get(2), k, v);
        });
    }

    /** Flips a byte in the metadata stored under {@code key}. */
    public static void corruptMeta(Path dataDir, String key) throws Exception {
        withDb(dataDir, (db, cfs) -> {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            byte[] v = db.get(cfs.get(1), k);
            v[v.length / 2] ^= 0x55;
            db.put(cfs.get(1), k, v);
        });
    }

    /** Every key in the metadata family. */
    public static List<String> keys(Path dataDir) throws Exception {
        List<String> out = new ArrayList<>();
        withDb(dataDir, (db, cfs) -> {
            try (var it = db.newIterator(cfs.get(1))) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    out.add(new String(it.key(), StandardCharsets.UTF_8));
                }
            }
        });
        return out;
    }

    interface Surgery {
        void apply(RocksDB db, List<ColumnFamilyHandle> cfs) throws Exception;
    }

    static void withDb(Path dataDir, Surgery s) throws Exception {
        RocksDB.loadLibrary();
        List<ColumnFamilyDescriptor> d = new ArrayList<>();
        for (String n : new String[] {"default", "meta", "chunks", "lru", "atime", "tags", "pending"}) {
            d.add(new ColumnFamilyDescriptor(n.getBytes(StandardCharsets.UTF_8)));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions o = new DBOptions(); RocksDB db = RocksDB.open(o, dataDir.resolve("cache").toString(), d, handles)) {
            s.apply(db, handles);
            handles.forEach(ColumnFamilyHandle::close);
        }
    }
}
