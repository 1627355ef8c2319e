package dev.outpost.loadtest.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A thundering herd: N clients connect first, then all send the same GET at once, each timing
 * its own request to the last byte of the response.
 *
 * <p>One thread drives every connection: it writes the N requests back to back (a few
 * microseconds apart, where N threads woken by a latch on one core spread their sends over
 * 10-50 ms) and reads the answers through a selector as they come. Between connecting and
 * sending it waits {@code settle}, so that the server has accepted every connection before the
 * herd: connection set-up, on either side, stays out of the waiters' latency.
 */
public final class Herd {

    /** Latencies (ms) of the answered requests, and how many failed. */
    public record Result(double[] latenciesMillis, int failures, String firstFailure) {
    }

    private static final class Client {
        final SocketChannel channel;
        final ResponseFramer framer = new ResponseFramer();
        long sentNanos;
        long answeredNanos;
        String failure;

        Client(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private Herd() {
    }

    /** A herd with no pause between connecting and sending (for warming a system up). */
    public static Result run(int port, String path, int clients, int timeoutMillis) throws InterruptedException {
        return run(port, path, clients, timeoutMillis, Duration.ZERO);
    }

    public static Result run(int port, String path, int clients, int timeoutMillis, Duration settle)
            throws InterruptedException {
        List<Client> conns = new ArrayList<>(clients);
        int failures = 0;
        String firstFailure = "";
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < clients; i++) {
                SocketChannel ch = null;
                try {
                    ch = SocketChannel.open();
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    ch.socket().connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
                    ch.configureBlocking(false);
                    Client c = new Client(ch);
                    ch.register(selector, SelectionKey.OP_READ, c);
                    conns.add(c);
                } catch (IOException e) {
                    close(ch);
                    failures++;
                    firstFailure = firstFailure.isEmpty() ? "connect: " + e.getMessage() : firstFailure;
                }
            }
            if (!settle.isZero()) {
                Thread.sleep(settle);
            }
            byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: outpost-bench\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            for (Client c : conns) {
                c.sentNanos = System.nanoTime();
                send(c, request);
            }
            awaitAnswers(selector, conns, System.nanoTime() + timeoutMillis * 1_000_000L);
        } catch (IOException e) {
            failures += conns.size();
            return new Result(new double[0], failures, "selector: " + e.getMessage());
        } finally {
            conns.forEach(c -> close(c.channel));
        }
        double[] lat = new double[conns.size()];
        int n = 0;
        for (Client c : conns) {
            if (c.failure == null && c.framer.status() != 200) {
                c.failure = "status " + c.framer.status();
            }
            if (c.failure != null) {
                failures++;
                firstFailure = firstFailure.isEmpty() ? c.failure : firstFailure;
            } else {
                lat[n++] = (c.answeredNanos - c.sentNanos) / 1e6;
            }
        }
        return new Result(Arrays.copyOf(lat, n), failures, firstFailure);
    }

    private static void send(Client c, byte[] request) {
        ByteBuffer b = ByteBuffer.wrap(request);
        try {
            for (int spins = 0; b.hasRemaining(); spins++) {
                if (c.channel.write(b) == 0 && spins > 10_000) {
                    throw new IOException("send buffer full");
                }
            }
        } catch (IOException e) {
            c.failure = "send: " + e.getMessage();
        }
    }

    private static void awaitAnswers(Selector selector, List<Client> conns, long deadlineNanos) throws IOException {
        long pending = conns.stream().filter(c -> c.failure == null).count();
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        while (pending > 0) {
            long left = (deadlineNanos - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            selector.select(left);
            for (SelectionKey key : selector.selectedKeys()) {
                Client c = (Client) key.attachment();
                if (c.failure != null || c.framer.done()) {
                    key.cancel();
                    continue;
                }
                buf.clear();
                try {
                    int r = c.channel.read(buf);
                    if (r < 0) {
                        c.failure = "connection closed before a whole response";
                    } else {
                        buf.flip();
                        if (c.framer.feed(buf)) {
                            c.answeredNanos = System.nanoTime();
                        }
                    }
                } catch (IOException e) {
                    c.failure = "read: " + e.getMessage();
                }
                if (c.failure != null || c.framer.done()) {
                    key.cancel();
                    pending--;
                }
            }
            selector.selectedKeys().clear();
        }
        for (Client c : conns) {
            if (c.failure == null && !c.framer.done()) {
                c.failure = "no whole response within the timeout";
            }
        }
    }

    private static void close(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
