package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.system.BenchEnv;
import dev.outpost.loadtest.system.CacheSystem;
import dev.outpost.loadtest.system.Sizing;
import dev.outpost.loadtest.system.SystemKind;
import dev.outpost.loadtest.system.Systems;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What every scenario gets: the systems it can start, which of them are measured in this run
 * (and why the others are not), the options, and the progress log.
 */
public record BenchContext(Systems systems, List<SystemKind> measured, Map<SystemKind, String> skipped,
                           BenchOptions options, ProgressLog log, List<CoreSetup> coreSetups) {

    public BenchContext {
        coreSetups = List.copyOf(coreSetups);
    }

    /** A context whose hot hits run only as the systems are placed in {@code systems}' environment (one core). */
    public BenchContext(Systems systems, List<SystemKind> measured, Map<SystemKind, String> skipped, BenchOptions options,
                        ProgressLog log) {
        this(systems, measured, skipped, options, log, List.of());
    }

    /**
     * The systems placed for {@code cores} cores ({@code --cores}): where they and the load
     * generator run, said in one line for the report.
     */
    public record CoreSetup(int cores, Systems systems, String placement) {
    }

    /** The core counts the hot-hit scenario runs at, in order; the first core setup alone when none was given. */
    public List<CoreSetup> hotCoreSetups() {
        if (!coreSetups.isEmpty()) {
            return coreSetups;
        }
        BenchEnv e = systems.env();
        return List.of(new CoreSetup(e.serverCpus().map(dev.outpost.loadtest.system.CpuList::count).orElse(1), systems,
                "systems on CPU " + e.serverCpus().orElse("(not pinned)") + ", the load generator and the origin on CPU "
                        + e.clientCpus().orElse("(not pinned)")));
    }

    /** Where progress lines go (stderr), so a long run shows what it is doing. */
    public interface ProgressLog {
        void line(String s);
    }

    public BenchEnv env() {
        return systems.env();
    }

    /** The order systems take in round {@code round}: rotated, so no system always goes first. */
    public List<SystemKind> order(int round) {
        return Rotation.rotate(measured, round);
    }

    public void progress(String s) {
        log.line(s);
    }

    /** Notes every section carries about systems this run could not measure. */
    public List<String> skippedNotes() {
        List<String> notes = new ArrayList<>();
        skipped.forEach((k, why) -> notes.add(k.display() + " not measured: " + why));
        return notes;
    }

    /**
     * Starts every measured system in front of {@code originUrl}, each for the whole scenario;
     * adds each one's settings to {@code notes}, or why it could not be measured.
     */
    public Map<SystemKind, CacheSystem> startMeasured(String originUrl, Sizing sizing, List<String> notes) {
        Map<SystemKind, CacheSystem> running = new EnumMap<>(SystemKind.class);
        for (SystemKind k : measured) {
            try {
                CacheSystem sys = systems.start(k, originUrl, sizing);
                running.put(k, sys);
                notes.add(sys.settings());
            } catch (Systems.StartException e) {
                notes.add(k.display() + " not measured: " + e.getMessage());
            }
        }
        return running;
    }

    /** A deadline for a scenario's rounds. */
    public Deadline deadline(Duration nominal) {
        return new Deadline(System.nanoTime() + options.budget(nominal).toNanos(), options.budget(nominal));
    }

    /** A scenario's time bound: checked between steps, so a slow system cannot stretch a run without limit. */
    public record Deadline(long nanos, Duration budget) {
        public boolean passed() {
            return System.nanoTime() > nanos;
        }
    }
}
