package dev.outpost.controlplane.store;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded RocksDB store. */
class RocksStoreTest extends StoreContractTest {

    @TempDir
    Path dir;
    private Store store;

    @Override
    Store open() {
        if (store == null) {
            store = Store.rocksdb(dir);
        }
        return store;
    }

    @Override
    void reopen() {
        close();
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
