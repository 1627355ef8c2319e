package dev.outpost.edge.cache;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Binary form of {@link CachedResponse} in the disk tier: a format version, the fields, and a
 * CRC32C of all of it, so a damaged record is detected rather than served.
 */
final class MetaCodec {

    private static final int VERSION = 1;

    private MetaCodec() {
    }

    static byte[] encode(CachedResponse r) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + r.headerNames().length * 48);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeUTF(r.key());
            out.writeShort(r.status());
            out.writeShort(r.headerNames().length);
            for (int i = 0; i < r.headerNames().length; i++) {
                out.writeUTF(r.headerNames()[i]);
                writeLong(out, r.headerValues()[i]);
            }
            out.writeLong(r.requestTime());
            out.writeLong(r.responseTime());
            out.writeLong(r.correctedInitialAge());
            out.writeLong(r.lifetime());
            out.writeLong(r.staleWhileRevalidate());
            out.writeLong(r.staleIfError());
            out.writeInt(r.flags());
            out.writeLong(r.bodyLength());
            out.writeLong(r.fillId());
            out.writeInt(r.chunkSize());
            writeList(out, r.tags());
            writeList(out, r.varyNames());
            out.writeLong(r.purgedAt());
            out.flush();
            byte[] body = bytes.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(body);
            ByteBuffer result = ByteBuffer.allocate(body.length + 4);
            result.put(body).putInt((int) crc.getValue());
            return result.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CachedResponse decode(byte[] data) throws CorruptEntryException {
        if (data.length < 5) {
            throw new CorruptEntryException("metadata too short");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        int stored = ByteBuffer.wrap(data, data.length - 4, 4).getInt();
        if ((int) crc.getValue() != stored) {
            throw new CorruptEntryException("metadata checksum mismatch");
        }
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data, 0, data.length - 4));
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new CorruptEntryException("unknown metadata version " + version);
            }
            String key = in.readUTF();
            int status = in.readUnsignedShort();
            int n = in.readUnsignedShort();
            String[] names = new String[n];
            String[] values = new String[n];
            for (int i = 0; i < n; i++) {
                names[i] = in.readUTF();
                values[i] = readLong(in);
            }
            return new CachedResponse(key, status, names, values, in.readLong(), in.readLong(), in.readLong(),
                    in.readLong(), in.readLong(), in.readLong(), in.readInt(), in.readLong(), in.readLong(),
                    in.readInt(), readList(in), readList(in), in.readLong());
        } catch (IOException | RuntimeException e) {
            throw new CorruptEntryException("metadata unreadable: " + e.getMessage());
        }
    }

    private static void writeLong(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readLong(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > 1 << 24) {
            throw new IOException("bad length");
        }
        return new String(in.readNBytes(len), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void writeList(DataOutputStream out, List<String> list) throws IOException {
        out.writeShort(list.size());
        for (String s : list) {
            out.writeUTF(s);
        }
    }

    private static List<String> readList(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(in.readUTF());
        }
        return List.copyOf(out);
    }
}
