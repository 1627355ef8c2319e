package dev.outpost.loadtest.report;

import java.util.List;

/**
 * What one scenario reports: its metrics (printed with ratios against each peer), extra
 * tables, notes (settings, skipped systems, anything that qualifies a figure), charts, and the
 * targets it decides.
 */
public record Section(String id, String title, String description, List<Metric> metrics, List<Table> tables,
                      List<String> notes, List<ChartSpec> charts, List<Target> targets) {

    public Section {
        metrics = List.copyOf(metrics);
        tables = List.copyOf(tables);
        notes = List.copyOf(notes);
        charts = List.copyOf(charts);
        targets = List.copyOf(targets);
    }

    /** A scenario that did not run, and why. */
    public static Section skipped(String id, String title, String description, String why) {
        return new Section(id, title, description, List.of(), List.of(), List.of("Not run: " + why), List.of(), List.of());
    }
}
