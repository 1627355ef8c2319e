package dev.outpost.loadtest.system;

import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the three systems share: a process tree, its log, readiness by HTTP, and a clean stop. */
abstract class ProcessSystem implements CacheSystem {

    final Process process;
    final Path dir;
    final Path log;

    ProcessSystem(Process process, Path dir, Path log) {
        this.process = process;
        this.dir = dir;
        this.log = log;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    /** Waits until {@code GET path} on {@code port} answers any HTTP status, or fails with the log's tail. */
    static void awaitHttp(Process p, Path log, String name, int port, String path, Duration timeout) throws Systems.StartException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new Systems.StartException(name + " exited with status " + p.exitValue() + ": " + tail(log));
            }
            if (answers(port, path)) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Proc.kill(p.toHandle(), Duration.ofSeconds(5));
        throw new Systems.StartException(name + " did not answer on port " + port + " within " + timeout.toSeconds() + "s: " + tail(log));
    }

    static boolean answers(int port, String path) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            byte[] b = new byte[12];
            int n = in.readNBytes(b, 0, 12);
            return n == 12 && new String(b, StandardCharsets.ISO_8859_1).startsWith("HTTP/");
        } catch (IOException e) {
            return false;
        }
    }

    /** The last line of a log that says something, for one-line errors. */
    static String tail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            String[] lines = Files.readString(log).strip().split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (!lines[i].isBlank()) {
                    String l = lines[i].strip();
                    return l.length() > 300 ? l.substring(0, 300) + "..." : l;
                }
            }
            return "(empty log)";
        } catch (IOException e) {
            return "(log unreadable)";
        }
    }

    @Override
    public void close() {
        Proc.kill(process.toHandle(), Duration.ofSeconds(15));
        Systems.deleteTree(dir.resolve("cache"));
    }
}
