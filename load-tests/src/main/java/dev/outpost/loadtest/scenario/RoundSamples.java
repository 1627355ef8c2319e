package dev.outpost.loadtest.scenario;

import dev.outpost.loadtest.report.Metric;
import dev.outpost.loadtest.stats.Stats;
import dev.outpost.loadtest.system.SystemKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** Per-round figures of each system, by metric, turned into medians for the report. */
final class RoundSamples {

    private final Map<String, Map<SystemKind, List<Double>>> samples = new LinkedHashMap<>();

    void add(String metric, SystemKind kind, double value) {
        samples.computeIfAbsent(metric, k -> new EnumMap<>(SystemKind.class))
                .computeIfAbsent(kind, k -> new ArrayList<>()).add(value);
    }

    List<Double> get(String metric, SystemKind kind) {
        return samples.getOrDefault(metric, Map.of()).getOrDefault(kind, List.of());
    }

    OptionalDouble median(String metric, SystemKind kind) {
        return Stats.median(get(metric, kind));
    }

    /** The metric with every system's median. */
    Metric metric(String key, String name, String unit, int decimals, Metric.Better better) {
        Metric m = Metric.of(name, unit, decimals, better);
        for (SystemKind k : SystemKind.values()) {
            m = m.with(k, median(key, k));
        }
        return m;
    }
}
