package dev.outpost.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Connections a test opens and holds, as an attacker holding a listener's connections would:
 * from a chosen local address (any of 127.0.0.0/8 reaches a loopback listener, so a test can
 * play several clients), each sending some first bytes (a partial request head, half a DNS
 * length prefix) and then nothing, or a byte at a time. It tells how many the server has
 * closed. Also the figures of this process an exhaustion test reports: open file descriptors
 * and live threads.
 */
public final class HeldConnections implements AutoCloseable {

    private final List<Socket> sockets = new ArrayList<>();
    private final List<Boolean> closedByServer = new ArrayList<>();

    /** Opens {@code n} connections from {@code from} to {@code to}, each sending {@code first} (may be empty). */
    public static HeldConnections open(String from, InetSocketAddress to, int n, String first) {
        HeldConnections held = new HeldConnections();
        byte[] bytes = first.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
                s.connect(to, 5_000);
                if (bytes.length > 0) {
                    s.getOutputStream().write(bytes);
                    s.getOutputStream().flush();
                }
            } catch (IOException e) {
                // refused or reset at once: the server closed it
            }
            held.sockets.add(s);
            held.closedByServer.add(false);
        }
        return held;
    }

    public int size() {
        return sockets.size();
    }

    /**
     * How many the server has closed (end of stream, reset, or a refusal such as a 429 then
     * end of stream), looking at each one still open for at most a few milliseconds.
     */
    public synchronized int closedByServer() {
        int n = 0;
        for (int i = 0; i < sockets.size(); i++) {
            if (!closedByServer.get(i) && serverClosed(sockets.get(i))) {
                closedByServer.set(i, true);
            }
            n += closedByServer.get(i) ? 1 : 0;
        }
        return n;
    }

    private static boolean serverClosed(Socket s) {
        if (!s.isConnected() || s.isClosed()) {
            return true;
        }
        try {
            s.setSoTimeout(5);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[512];
            while (true) {
                int r = in.read(buf);
                if (r < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Sends one more byte on every connection still open (a trickled head); those that fail count as closed. */
    public synchronized void drip(byte b) {
        for (int i = 0; i < sockets.size(); i++) {
            if (closedByServer.get(i)) {
                continue;
            }
            try {
                sockets.get(i).getOutputStream().write(b);
                sockets.get(i).getOutputStream().flush();
            } catch (IOException e) {
                closedByServer.set(i, true);
            }
        }
    }

    @Override
    public void close() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Open file descriptors of this process (Linux). */
    public static long fileDescriptors() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Live threads of this process. */
    public static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
