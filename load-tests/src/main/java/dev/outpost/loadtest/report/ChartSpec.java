package dev.outpost.loadtest.report;

import java.util.List;
import java.util.Map;

/** A chart a section asks for; {@link Charts} draws it as a PNG next to the report. */
public sealed interface ChartSpec {

    String file();

    String title();

    /** Grouped bars: one group per category, one bar per series (system). NaN draws no bar. */
    record Bars(String file, String title, String yLabel, List<String> categories, Map<String, List<Double>> series)
            implements ChartSpec {
    }

    /** Lines over a numeric x axis: each series is a list of (x, y) points. */
    record Lines(String file, String title, String xLabel, String yLabel, Map<String, List<double[]>> series)
            implements ChartSpec {
    }
}
