package dev.outpost.edge.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * How the disk tier lays out what it stores: its column families and the encodings of their
 * keys and values, in one place so that the store, the evictor and the tools that open a stopped
 * node's database (tests' {@code DiskSurgery}) agree on them.
 *
 * <p>One column family per concern: {@code meta} (key → {@link CachedResponse} in
 * {@link MetaCodec}'s checksummed encoding), {@code chunks} (fill id + chunk index → CRC32C +
 * bytes, in blob files), {@code lru} (access bucket + sequence → key: an approximate recency
 * order; the sequence is the fill id, or a new one for an entry given a second chance),
 * {@code atime} (key → its current {@code lru} record), {@code tags} (tag NUL key → nothing, for
 * purges by surrogate key), {@code pending} (fill id → key, fills under way) and {@code default}
 * (the fill id reservation, markers and the write probe). Keys of entries are UTF-8; numbers are
 * big-endian, so the order of {@code lru} keys is bucket then sequence.
 *
 * <p>Stateless: only static encodings, safe from any thread.
 */
final class DiskLayout {

    /** The column families, in the order the store opens them (their index is their handle's). */
    enum Family {
        DEFAULT("default"), META("meta"), CHUNKS("chunks"), LRU("lru"), ATIME("atime"), TAGS("tags"),
        PENDING("pending");

        private final String cfName;

        Family(String cfName) {
            this.cfName = cfName;
        }

        byte[] nameBytes() {
            return cfName.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Under {@code default}: the end of the fill ids reserved so far (fill ids are unique across restarts). */
    static final byte[] FILL_SEQ = utf8("fill-seq");
    /** Under {@code default}: what a recovery attempt writes to see whether RocksDB takes writes. */
    static final byte[] WRITE_PROBE = utf8("write-probe");
    /** Bytes of the CRC32C that leads every chunk value. */
    static final int CHUNK_CRC_BYTES = 4;

    private DiskLayout() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code chunks} key of chunk {@code index} of fill {@code fillId}. */
    static byte[] chunkKey(long fillId, int index) {
        return ByteBuffer.allocate(12).putLong(fillId).putInt(index).array();
    }

    /** A {@code pending} key, and any big-endian number (fill ids, markers). */
    static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    static long readLong(byte[] b) {
        return ByteBuffer.wrap(b).getLong();
    }

    /** The {@code lru} key of an entry accessed in {@code bucket} with sequence {@code seq}. */
    static byte[] lruKey(long bucket, long seq) {
        return ByteBuffer.allocate(16).putLong(bucket).putLong(seq).array();
    }

    /** The access bucket an {@code lru} key (as {@code atime} holds it) records. */
    static long bucketOf(byte[] lruKey) {
        return ByteBuffer.wrap(lruKey).getLong();
    }

    /** The {@code tags} key that says {@code key} is tagged {@code tag}; with an empty key, the prefix of the tag. */
    static byte[] tagKey(String tag, String key) {
        return utf8(tag + "\u0000" + key);
    }

    /** The cache key of a {@code tags} key that starts with {@code prefix} (a tag's {@link #tagKey}). */
    static String keyOfTagKey(byte[] tagKey, byte[] prefix) {
        return new String(tagKey, prefix.length, tagKey.length - prefix.length, StandardCharsets.UTF_8);
    }

    /** The {@code default} key of the persisted number {@code name}. */
    static byte[] markerKey(String name) {
        return utf8("marker:" + name);
    }

    static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** A {@code chunks} value: the CRC32C of {@code data}, then its bytes ({@code data} is not consumed). */
    static byte[] encodeChunk(ByteBuffer data) {
        byte[] value = new byte[data.remaining() + CHUNK_CRC_BYTES];
        data.duplicate().get(value, CHUNK_CRC_BYTES, data.remaining());
        ByteBuffer.wrap(value, 0, CHUNK_CRC_BYTES).putInt(crc(value));
        return value;
    }

    /** Whether a {@code chunks} value's bytes match its CRC32C. */
    static boolean chunkIntact(byte[] value) {
        return crc(value) == ByteBuffer.wrap(value, 0, CHUNK_CRC_BYTES).getInt();
    }

    /** The body bytes of a {@code chunks} value. */
    static ByteBuffer chunkBody(byte[] value) {
        return ByteBuffer.wrap(value, CHUNK_CRC_BYTES, value.length - CHUNK_CRC_BYTES).slice();
    }

    private static int crc(byte[] value) {
        CRC32C crc = new CRC32C();
        crc.update(value, CHUNK_CRC_BYTES, value.length - CHUNK_CRC_BYTES);
        return (int) crc.getValue();
    }
}
