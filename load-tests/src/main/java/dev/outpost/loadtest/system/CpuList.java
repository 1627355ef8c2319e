package dev.outpost.loadtest.system;

import java.util.Optional;

/**
 * CPU lists as {@code taskset -c} takes them ({@code "0"}, {@code "0-1"}, {@code "0,2-3"}), and
 * where the systems and the load generators go for a given number of cores for the systems.
 */
public final class CpuList {

    private CpuList() {
    }

    /** How many CPUs a list names; 1 at least. */
    public static int count(String list) {
        int n = 0;
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] r = part.strip().split("-");
            n += r.length == 2 ? Integer.parseInt(r[1].strip()) - Integer.parseInt(r[0].strip()) + 1 : 1;
        }
        return Math.max(1, n);
    }

    /** How many CPUs the systems run on: the pinned list's count, 1 when they are not pinned (one worker, as before). */
    public static int serverCores(Optional<String> serverCpus) {
        return serverCpus.map(CpuList::count).orElse(1);
    }

    /** The list of CPUs {@code first} to {@code last}, as taskset takes it. */
    static String range(int first, int last) {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }

    /**
     * Where a run with the systems on {@code cores} CPUs puts things, on a machine with
     * {@code online} CPUs: the systems on CPUs 0 to cores - 1; the load generators on the CPUs
     * left over when there are any, otherwise on every CPU, sharing the systems' cores
     * ({@code shared}).
     */
    public record Placement(int cores, String serverCpus, String clientCpus, boolean shared) {

        /** One line for the report: where the systems and the load generator ran. */
        public String describe() {
            if (shared) {
                return "systems on CPU " + serverCpus + ", the load generator (wrk or h2load, "
                        + "one thread) not pinned to a CPU of its own: it may run on any of CPU " + clientCpus
                        + ", sharing them with the system under test, so a system gets what the load generator leaves of "
                        + cores + " cores (the origin, in the suite's JVM, stays idle while hits are measured)";
            }
            return "systems on CPU " + serverCpus + ", the load generator and the origin on CPU "
                    + clientCpus + " (a core of their own)";
        }
    }

    /** The placement for {@code cores} on a machine of {@code online} CPUs; refused when there are not that many. */
    public static Placement place(int cores, int online) {
        if (cores < 1 || cores > online) {
            throw new IllegalArgumentException(cores + " cores asked for the systems, and this machine has " + online + " CPU(s)");
        }
        String server = range(0, cores - 1);
        if (cores < online) {
            return new Placement(cores, server, range(cores, online - 1), false);
        }
        return new Placement(cores, server, range(0, online - 1), true);
    }
}
