/**
 * Where the control plane keeps its state. Start with {@link dev.outpost.controlplane.store.Store}:
 * the narrow contract (logs with sequence numbers, compare-and-set of versioned keys, watches)
 * that the registry, the config versions and the purge log are written against. The embedded
 * RocksDB implementation lives here, package-private; an etcd implementation would sit beside it.
 */
package dev.outpost.controlplane.store;
