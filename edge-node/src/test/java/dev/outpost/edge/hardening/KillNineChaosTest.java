package dev.outpost.edge.hardening;

import dev.outpost.edge.EdgeProcess;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.edge.BlobOrigin;
import dev.outpost.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at random moments while a node fills objects of random sizes, round after round on
 * the same data directory: after every restart, every object asked for is served whole and
 * byte for byte right (checked by CRC against the origin's deterministic bodies), whether it
 * survived as a hit or is fetched again. Nothing partial or corrupt is ever served, during the
 * load or after.
 *
 * <p>The moment of each kill is random but reproducible: after a random number of bytes has
 * left the origin (up to 32 MiB), with several clients filling objects from 1 KiB to 4 MiB,
 * some new and some asked for before, on a disk tier (384 MiB) that starts evicting after a
 * dozen rounds.
 * The seed is printed; {@code -Doutpost.chaos.seed=N} replays one, {@code
 * -Doutpost.chaos.rounds=N} sets the long run's rounds. The default test command runs three
 * rounds; the 50-round run is tagged {@code chaos}:
 * {@code ./mvnw -pl edge-node -am verify -Doutpost.test.all -Dtest=KillNineChaosTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class KillNineChaosTest {

    private static final int CLIENTS = 6;

    @TempDir
    Path tmp;

    @Test
    void threeRoundsOfKillNineDuringFills() throws Exception {
        run(3);
    }

    @Test
    @Tag("chaos")
    void fiftyRoundsOfKillNineDuringFills() throws Exception {
        run(Integer.getInteger("outpost.chaos.rounds", 50));
    }

    /** What the rounds came to. */
    static final class Figures {
        int rounds;
        int roundsKilledMidFill;
        long partialFillsDropped;
        long loadRequests;
        long loadCompleteResponses;
        long loadCutByKill;
        long originBytes;
        long verified;
        long verifiedHits;
        long verifiedRefetched;
        long corruptServed;
        long partialServed;
        long checksumFailuresDetected;
        long startMillisTotal;
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());

        @Override
        public String toString() {
            return String.format("""
                    kill -9 chaos: %d rounds, %d killed with fills under way; %d partial fills dropped at restart
                      load: %d requests, %d complete (each CRC-checked), %d cut off by the kill; %.0f MiB from the origin
                      after restarts: %d objects verified by CRC, %d hits, %d fetched again
                      corrupt objects served: %d, partial objects served: %d, checksum failures the node detected: %d
                      mean start time after kill -9: %d ms""",
                    rounds, roundsKilledMidFill, partialFillsDropped, loadRequests, loadCompleteResponses, loadCutByKill,
                    originBytes / 1048576.0, verified, verifiedHits, verifiedRefetched, corruptServed, partialServed,
                    checksumFailuresDetected, rounds == 0 ? 0 : startMillisTotal / (rounds + 1));
        }
    }

    private static long seed() {
        Long given = Long.getLong("outpost.chaos.seed");
        return given != null ? given : System.nanoTime();
    }

    void run(int rounds) throws Exception {
        long seed = seed();
        System.out.println("kill -9 chaos: seed " + seed + " (-Doutpost.chaos.seed=" + seed + " replays it)");
        Random rnd = new Random(seed);
        Figures f = new Figures();
        Path data = Files.createDirectories(tmp.resolve("data"));
        try (BlobOrigin origin = new BlobOrigin();
             EdgeProcess edge = EdgeProcess.edge(origin.baseUrl(), data, List.of("-Xmx256m"),
                     "--cache.chunk-size", "64KiB", "--cache.memory-size", "24MiB", "--cache.memory-max-object", "256KiB",
                     "--cache.disk-size", "384MiB")) {
            Map<String, Long> known = new ConcurrentHashMap<>();
            Set<String> inFlightAtKill = Set.of();
            int logMark = 0;
            for (int round = 1; round <= rounds + 1; round++) {
                long t0 = System.nanoTime();
                edge.start();
                f.startMillisTotal += (System.nanoTime() - t0) / 1_000_000;
                String log = edge.logText();
                f.partialFillsDropped += droppedFills(log.substring(Math.min(logMark, log.length())));
                logMark = log.length();

                // every object that was being filled when the node died, and a sample of the others
                List<String> check = new ArrayList<>(inFlightAtKill);
                List<String> others = new ArrayList<>(known.keySet());
                others.removeAll(check);
                Collections.shuffle(others, rnd);
                check.addAll(others.subList(0, Math.min(24, others.size())));
                for (String path : check) {
                    verify(edge, path, f);
                }
                f.checksumFailuresDetected += (long) edge.metric("outpost_cache_corrupt_total");
                if (round > rounds) {
                    break;
                }

                // load, and a kill once a random amount more has left the origin
                AtomicBoolean killed = new AtomicBoolean();
                Set<String> inFlight = ConcurrentHashMap.newKeySet();
                List<Thread> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    Random own = new Random(rnd.nextLong());
                    clients.add(Thread.ofVirtual().start(() -> load(edge, own, known, inFlight, killed, f)));
                }
                long target = origin.bytesSent() + 256 * 1024 + (long) (rnd.nextDouble() * 32 * 1024 * 1024);
                Await.until("origin bytes for round kill", Duration.ofSeconds(120), () -> origin.bytesSent() >= target
                        || !f.problems.isEmpty());
                inFlightAtKill = Set.copyOf(inFlight);
                killed.set(true);
                edge.kill();
                for (Thread t : clients) {
                    t.join(Duration.ofSeconds(60));
                }
                if (!inFlightAtKill.isEmpty()) {
                    f.roundsKilledMidFill++;
                }
                f.rounds++;
                assertThat(f.problems).as("round %d (seed %d)", round, seed).isEmpty();
            }
            f.originBytes = origin.bytesSent();
            edge.terminate();
        }
        System.out.println(f);
        Path out = Path.of("target", "hardening");
        Files.createDirectories(out);
        Files.writeString(out.resolve("kill-nine-chaos-" + rounds + ".txt"), "seed " + seed + "\n" + f + "\n");
        assertThat(f.problems).as("seed %d", seed).isEmpty();
        assertThat(f.corruptServed).as("corrupt objects served").isZero();
        assertThat(f.partialServed).as("partial objects served").isZero();
        assertThat(f.verified).isGreaterThan(0);
        assertThat(f.roundsKilledMidFill).as("rounds whose kill interrupted fills").isGreaterThan(0);
    }

    private static final Pattern DROPPED = Pattern.compile("dropped (\\d+) partial fills");

    private static long droppedFills(String log) {
        Matcher m = DROPPED.matcher(log);
        long n = 0;
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    /** {@code /blob/<size>/<seed>}, sizes log-uniform from 1 KiB to 4 MiB. */
    private static String newObject(Random rnd) {
        long size = (long) Math.pow(2, 10 + rnd.nextDouble() * 12);
        return "/blob/" + size + "/" + (rnd.nextLong() & Long.MAX_VALUE);
    }

    private static long[] parse(String path) {
        String[] p = path.split("/");
        return new long[] {Long.parseLong(p[2]), Long.parseLong(p[3])};
    }

    private static void load(EdgeProcess edge, Random rnd, Map<String, Long> known, Set<String> inFlight,
                             AtomicBoolean killed, Figures f) {
        List<String> mine = new ArrayList<>();
        while (!killed.get()) {
            String path;
            if (mine.isEmpty() || rnd.nextDouble() < 0.65) {
                path = newObject(rnd);
                mine.add(path);
            } else {
                path = mine.get(rnd.nextInt(mine.size()));
            }
            long[] sizeSeed = parse(path);
            known.put(path, BlobOrigin.crcOf(sizeSeed[0], sizeSeed[1]));
            inFlight.add(path);
            synchronized (f) {
                f.loadRequests++;
            }
            try {
                EdgeProcess.Checked r = edge.get(path);
                String problem = check(path, r, known.get(path));
                synchronized (f) {
                    if (problem == null) {
                        f.loadCompleteResponses++;
                    } else if (r.length() < sizeSeed[0]) {
                        f.partialServed++;
                    } else {
                        f.corruptServed++;
                    }
                }
                if (problem != null) {
                    f.problems.add("during load: " + problem);
                }
            } catch (IOException e) {
                if (!killed.get()) {
                    f.problems.add("during load, before the kill: " + path + ": " + e);
                } else {
                    synchronized (f) {
                        f.loadCutByKill++;
                    }
                }
            } finally {
                inFlight.remove(path);
            }
        }
    }

    /** Null when the response is the whole object, byte for byte. */
    private static String check(String path, EdgeProcess.Checked r, long crc) {
        long size = parse(path)[0];
        if (r.status() != 200) {
            return path + ": status " + r.status() + " (" + r.cacheStatus() + ")";
        }
        if (r.length() != size) {
            return path + ": " + r.length() + " of " + size + " bytes served as a complete response (" + r.cacheStatus() + ")";
        }
        if (r.crc() != crc) {
            return path + ": wrong bytes (CRC " + r.crc() + ", expected " + crc + ") (" + r.cacheStatus() + ")";
        }
        return null;
    }

    private static void verify(EdgeProcess edge, String path, Figures f) throws IOException {
        long size = parse(path)[0];
        EdgeProcess.Checked r = edge.get(path);
        String problem = check(path, r, BlobOrigin.crcOf(size, parse(path)[1]));
        f.verified++;
        if (problem != null) {
            f.problems.add("after restart: " + problem);
            if (r.length() < size) {
                f.partialServed++;
            } else {
                f.corruptServed++;
            }
        } else if (r.hit()) {
            f.verifiedHits++;
        } else {
            f.verifiedRefetched++;
        }
    }
}
