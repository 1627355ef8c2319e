package dev.outpost.loadtest.report;

import dev.outpost.loadtest.system.SystemKind;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One figure measured for every system (the median over rounds), with its unit, how many
 * decimals to print and which direction is better, so the report can print ratios against each
 * peer and say which way they point.
 */
public record Metric(String name, String unit, int decimals, Better better, Map<SystemKind, OptionalDouble> values) {

    /** Which way a figure is good. */
    public enum Better {
        HIGHER("higher is better"),
        LOWER("lower is better"),
        NEITHER("");

        private final String text;

        Better(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    public Metric {
        values = new EnumMap<>(values.isEmpty() ? new EnumMap<>(SystemKind.class) : values);
    }

    /** A metric with no values yet. */
    public static Metric of(String name, String unit, int decimals, Better better) {
        return new Metric(name, unit, decimals, better, new EnumMap<>(SystemKind.class));
    }

    public Metric with(SystemKind kind, OptionalDouble value) {
        Map<SystemKind, OptionalDouble> v = new EnumMap<>(SystemKind.class);
        v.putAll(values);
        v.put(kind, value);
        return new Metric(name, unit, decimals, better, v);
    }

    public OptionalDouble value(SystemKind kind) {
        return values.getOrDefault(kind, OptionalDouble.empty());
    }
}
