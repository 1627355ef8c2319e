package dev.outpost.loadtest.report;

import dev.outpost.loadtest.proc.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The machine description at the top of every report: CPU, cores, memory, kernel, OS, JDK. */
public final class MachineInfo {

    private MachineInfo() {
    }

    public static List<String[]> describe(Path javaHome) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"CPU", cpuModel() + " (" + Runtime.getRuntime().availableProcessors() + " visible to the runner, "
                + onlineCpus() + " online)"});
        rows.add(new String[] {"Memory", memTotal()});
        rows.add(new String[] {"Kernel", firstLine(List.of("uname", "-srm"))});
        rows.add(new String[] {"OS", osName()});
        rows.add(new String[] {"JDK (runs Outpost)", firstLine(List.of(javaHome.resolve("bin/java").toString(), "-version"))
                + " " + secondLine(List.of(javaHome.resolve("bin/java").toString(), "-version"))});
        return rows;
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String onlineCpus() {
        try {
            return Files.readString(Path.of("/sys/devices/system/cpu/online")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 / 1024 + " GiB").findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static String osName() {
        try {
            return Files.readAllLines(Path.of("/etc/os-release")).stream().filter(l -> l.startsWith("PRETTY_NAME="))
                    .map(l -> l.substring(12).replace("\"", "")).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** First line of a command's output (stdout, else stderr). */
    public static String firstLine(List<String> cmd) {
        return line(cmd, 0);
    }

    static String secondLine(List<String> cmd) {
        return line(cmd, 1);
    }

    private static String line(List<String> cmd, int index) {
        Proc.Result r = Proc.run(Optional.empty(), Duration.ofSeconds(10), cmd);
        String s = (r.stdout().isBlank() ? r.stderr() : r.stdout()).strip();
        List<String> lines = s.lines().toList();
        return lines.size() > index ? lines.get(index).strip() : (index == 0 ? "unknown" : "");
    }
}
