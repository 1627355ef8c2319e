package dev.outpost.loadtest.purge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.Coordinates;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.Ack;
import dev.outpost.config.fleet.FleetProtocol;
import dev.outpost.config.fleet.NodeRegistration;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node reduced to its protocol: registers, holds the Server-Sent Events subscription, and acks
 * every purge as soon as it reads it, with no cache behind it. It speaks HTTP/1.1 over two plain
 * keep-alive sockets (one for the stream, one for requests) so that fifty of them cost the
 * machine little besides what the control plane itself does.
 */
final class SimulatedNode implements AutoCloseable {

    private final URI base;
    private final String token;
    private final String id;
    final CountDownLatch synced = new CountDownLatch(1);
    final AtomicLong applied = new AtomicLong();
    private final AckListener acks;
    private Socket streamSocket;
    private Socket requests;
    private InputStream requestsIn;

    /** Told of every ack the control plane accepted: the purge's sequence and {@link System#nanoTime()} after the answer. */
    @FunctionalInterface
    interface AckListener {
        void acked(long sequence, long nanos);
    }

    SimulatedNode(URI base, String token, String id) {
        this(base, token, id, (seq, nanos) -> { });
    }

    SimulatedNode(URI base, String token, String id, AckListener acks) {
        this.base = base;
        this.token = token;
        this.id = id;
        this.acks = acks;
    }

    SimulatedNode start() throws IOException {
        requests = connect();
        requestsIn = requests.getInputStream();
        NodeRegistration reg = new NodeRegistration(id, "r" + (Math.abs(id.hashCode()) % 5), null,
                new Coordinates(50, 8), List.of("127.0.0.1"), null, 0L, 0L);
        int status = post(FleetProtocol.REGISTER, OutpostJson.json().writeValueAsBytes(reg));
        if (status != 200) {
            throw new IOException("register " + id + ": " + status);
        }
        streamSocket = connect();
        OutputStream out = streamSocket.getOutputStream();
        out.write(("GET " + FleetProtocol.events(id) + "?after=0&keepalive-ms=5000 HTTP/1.1\r\nHost: cp\r\n"
                + "Authorization: Bearer " + token + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = streamSocket.getInputStream();
        boolean chunked = false;
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            if (line.startsWith("HTTP/") && !line.contains(" 200")) {
                throw new IOException("subscribe " + id + ": " + line);
            }
            chunked |= line.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding:") && line.toLowerCase(java.util.Locale.ROOT).contains("chunked");
        }
        InputStream body = chunked ? new Chunked(in) : in;
        Thread.ofPlatform().daemon().name("sim-" + id).start(() -> read(body));
        return this;
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 2000);
        return s;
    }

    private void read(InputStream body) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String event = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:") && FleetProtocol.EVENT_PURGE.equals(event)) {
                    JsonNode e = OutpostJson.json().readTree(line.substring(5));
                    long seq = e.get("sequence").asLong();
                    applied.set(seq);
                    int status = post(FleetProtocol.acks(id), OutpostJson.json().writeValueAsBytes(Ack.purge(seq)));
                    if (status / 100 == 2) {
                        acks.acked(seq, System.nanoTime());
                    }
                } else if (line.startsWith("data:") && FleetProtocol.EVENT_SYNCED.equals(event)) {
                    synced.countDown();
                } else if (line.isEmpty()) {
                    event = null;
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** One request on the keep-alive socket; returns the status (the body is read and dropped). */
    private synchronized int post(String path, byte[] body) throws IOException {
        OutputStream out = requests.getOutputStream();
        ByteArrayOutputStream req = new ByteArrayOutputStream(body.length + 256);
        req.write(("POST " + path + " HTTP/1.1\r\nHost: cp\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        req.write(body);
        out.write(req.toByteArray());
        out.flush();
        int status = -1;
        long length = 0;
        for (String line = line(requestsIn); !line.isEmpty(); line = line(requestsIn)) {
            if (line.startsWith("HTTP/")) {
                status = Integer.parseInt(line.substring(9, 12));
            } else if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        requestsIn.readNBytes((int) length);
        return status;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** Decodes a chunked body. */
    private static final class Chunked extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                if (size.isEmpty()) {
                    size = line(in); // the CRLF after the previous chunk
                }
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                done = true;
                return -1;
            }
            left -= n;
            return n;
        }
    }

    @Override
    public void close() {
        for (Socket s : new Socket[] {streamSocket, requests}) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (IOException e) {
                // closing
            }
        }
    }
}
