package dev.outpost.edge.hostile;

import dev.outpost.testing.Await;
import io.undertow.protocols.http2.HpackDecoder;
import io.undertow.protocols.http2.HpackException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP/2 client over a plain socket (h2c with prior knowledge) that sends exactly the frames
 * a test asks for, including the ones no client library sends: streams past the advertised
 * limit, resets right after requests, endless CONTINUATION frames, oversized header lists.
 * Requests are HPACK-encoded as literals without indexing; responses are decoded with
 * Undertow's own HPACK decoder. A reader thread records each stream's status, the server's
 * SETTINGS and GOAWAY, whether the server closed the connection, and every HEADERS and DATA
 * frame in arrival order ({@link #frames}), interim responses included.
 */
public final class RawH2 implements AutoCloseable {

    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int GOAWAY = 0x7;
    static final int WINDOW_UPDATE = 0x8;
    static final int CONTINUATION = 0x9;
    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;
    private static final int MAX_FRAME = 16_384;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final Socket socket;
    private final OutputStream out;
    private final HpackDecoder decoder = new HpackDecoder();
    final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    final Map<Integer, Long> serverSettings = new ConcurrentHashMap<>();
    /** RST_STREAM error codes from the server, by stream. */
    final Map<Integer, Integer> resets = new ConcurrentHashMap<>();
    /**
     * Each header block and DATA frame from the server, in order: {@code HEADERS 1 :status=103
     * link=...} (with {@code END_STREAM} when it ends the stream), {@code DATA 1 5 END_STREAM}.
     */
    public final List<String> frames = new CopyOnWriteArrayList<>();
    private volatile boolean pendingEnd;
    volatile Integer goAway;
    volatile boolean closed;
    private final Thread reader;

    private RawH2(int port, boolean largeWindows) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        out.write(PREFACE);
        if (largeWindows) {
            // windows as large as HTTP/2 allows, so the node never waits on this client's flow
            // control (the writing thread could block the reader's WINDOW_UPDATE frames otherwise)
            frame(SETTINGS, 0, 0, ByteBuffer.allocate(6).putShort((short) 0x4).putInt(Integer.MAX_VALUE).array());
            frame(WINDOW_UPDATE, 0, 0, ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE - 65_535).array());
        } else {
            frame(SETTINGS, 0, 0, new byte[0]);
        }
        reader = Thread.ofVirtual().start(this::read);
    }

    public static RawH2 open(int port) throws IOException {
        return new RawH2(port, true);
    }

    /**
     * A client that reads every frame but never grants flow-control credit beyond the default
     * 65,535 bytes: a stream with a larger body stalls on its window while the socket stays
     * drained (a slow reader as HTTP/2 sees one).
     */
    static RawH2 openWithoutCredit(int port) throws IOException {
        return new RawH2(port, false);
    }

    /** Bytes of DATA received on {@code stream}. */
    long dataBytes(int stream) {
        long n = 0;
        for (String f : frames) {
            String[] parts = f.split(" ");
            if (parts[0].equals("DATA") && Integer.parseInt(parts[1]) == stream) {
                n += Long.parseLong(parts[2]);
            }
        }
        return n;
    }

    /** GET {@code path} on {@code stream}, header block split over CONTINUATION frames when large. */
    public void get(int stream, String path, String... headers) throws IOException {
        byte[] block = block(path, headers);
        int first = Math.min(block.length, MAX_FRAME);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(frameBytes(HEADERS, END_STREAM | (first == block.length ? END_HEADERS : 0), stream,
                java.util.Arrays.copyOfRange(block, 0, first)));
        for (int at = first; at < block.length; at += MAX_FRAME) {
            int end = Math.min(block.length, at + MAX_FRAME);
            all.writeBytes(frameBytes(CONTINUATION, end == block.length ? END_HEADERS : 0, stream,
                    java.util.Arrays.copyOfRange(block, at, end)));
        }
        write(all.toByteArray());
    }

    /** A HEADERS frame with these fields (pseudo-fields first, as given), one frame, END_HEADERS. */
    void headers(int stream, boolean endStream, String... fields) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < fields.length; i += 2) {
            literal(b, fields[i], fields[i + 1]);
        }
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, b.toByteArray());
    }

    /** The header block of a GET, as literals without indexing. */
    static byte[] block(String path, String... headers) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        literal(b, ":method", "GET");
        literal(b, ":scheme", "http");
        literal(b, ":path", path);
        literal(b, ":authority", "a.test");
        for (int i = 0; i < headers.length; i += 2) {
            literal(b, headers[i], headers[i + 1]);
        }
        return b.toByteArray();
    }

    private static void literal(ByteArrayOutputStream b, String name, String value) {
        b.write(0);
        string(b, name);
        string(b, value);
    }

    private static void string(ByteArrayOutputStream b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        integer(b, bytes.length, 7, 0);
        b.writeBytes(bytes);
    }

    private static void integer(ByteArrayOutputStream b, int value, int prefixBits, int firstByteHigh) {
        int max = (1 << prefixBits) - 1;
        if (value < max) {
            b.write(firstByteHigh | value);
            return;
        }
        b.write(firstByteHigh | max);
        value -= max;
        while (value >= 128) {
            b.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        b.write(value);
    }

    void rst(int stream) throws IOException {
        frame(RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}); // CANCEL
    }

    void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        write(frameBytes(type, flags, stream, payload));
    }

    static byte[] frameBytes(int type, int flags, int stream, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        b.put((byte) type).put((byte) flags).putInt(stream & 0x7fffffff).put(payload);
        return b.array();
    }

    synchronized void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Waits for a stream's response status. */
    int status(int stream, Duration timeout) {
        return Await.value("status of stream " + stream, timeout, () -> statuses.get(stream));
    }

    /** Waits until the server closed the connection (or sent GOAWAY); false if it did not in time. */
    boolean closedWithin(Duration timeout) {
        try {
            Await.until("connection closed", timeout, () -> closed || goAway != null);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    private void read() {
        try {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            int pendingStream = 0;
            while (true) {
                int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                if (payload.length < length) {
                    break;
                }
                switch (type) {
                    case HEADERS -> {
                        int from = 0;
                        int to = payload.length;
                        if ((flags & 0x8) != 0) {
                            to -= payload[0] & 0xff;
                            from = 1;
                        }
                        if ((flags & 0x20) != 0) {
                            from += 5;
                        }
                        pending.reset();
                        pending.write(payload, from, to - from);
                        pendingStream = stream;
                        pendingEnd = (flags & END_STREAM) != 0;
                        if ((flags & END_HEADERS) != 0) {
                            decode(pendingStream, pending.toByteArray());
                        }
                    }
                    case CONTINUATION -> {
                        pending.write(payload, 0, payload.length);
                        if ((flags & END_HEADERS) != 0) {
                            decode(pendingStream, pending.toByteArray());
                        }
                    }
                    case SETTINGS -> {
                        if ((flags & 0x1) == 0) {
                            ByteBuffer p = ByteBuffer.wrap(payload);
                            while (p.remaining() >= 6) {
                                serverSettings.put(p.getShort() & 0xffff, p.getInt() & 0xffffffffL);
                            }
                            frame(SETTINGS, 0x1, 0, new byte[0]);
                        }
                    }
                    case GOAWAY -> goAway = ByteBuffer.wrap(payload, 4, 4).getInt();
                    case RST_STREAM -> resets.put(stream, ByteBuffer.wrap(payload).getInt());
                    case 0x0 -> frames.add("DATA " + stream + " " + payload.length
                            + ((flags & END_STREAM) != 0 ? " END_STREAM" : ""));
                    default -> {
                        // DATA, WINDOW_UPDATE, PING, RST_STREAM: not needed by the tests
                    }
                }
            }
        } catch (IOException | HpackException e) {
            // connection closed or reset by the server
        } finally {
            closed = true;
        }
    }

    private void decode(int stream, byte[] block) throws HpackException {
        StringBuilder text = new StringBuilder("HEADERS ").append(stream);
        decoder.setHeaderEmitter((name, value, neverIndex) -> {
            if (name.toString().equals(":status")) {
                statuses.put(stream, Integer.parseInt(value));
            }
            text.append(' ').append(name).append('=').append(value);
        });
        decoder.decode(ByteBuffer.wrap(block), false);
        frames.add(text + (pendingEnd ? " END_STREAM" : ""));
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
