package dev.outpost.loadtest.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** Draws the charts sections ask for as PNG files with XChart (headless). */
public final class Charts {

    private Charts() {
    }

    /** Writes every chart of every section into {@code dir}; returns the problems (a chart that failed is noted, not fatal). */
    public static List<String> writeAll(Report report, Path dir) {
        System.setProperty("java.awt.headless", "true");
        List<String> problems = new ArrayList<>();
        for (Section s : report.sections()) {
            for (ChartSpec c : s.charts()) {
                try {
                    Files.createDirectories(dir);
                    write(c, dir.resolve(c.file()));
                } catch (IOException | RuntimeException e) {
                    problems.add("chart " + c.file() + " not drawn: " + e.getMessage());
                }
            }
        }
        return problems;
    }

    static void write(ChartSpec spec, Path file) throws IOException {
        switch (spec) {
            case ChartSpec.Bars b -> BitmapEncoder.saveBitmap(bars(b), file.toString(), BitmapEncoder.BitmapFormat.PNG);
            case ChartSpec.Lines l -> BitmapEncoder.saveBitmap(lines(l), file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    static CategoryChart bars(ChartSpec.Bars b) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title(b.title())
                .xAxisTitle("").yAxisTitle(b.yLabel()).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setOverlapped(false);
        for (Map.Entry<String, List<Double>> e : b.series().entrySet()) {
            List<Double> ys = e.getValue().stream().map(v -> v == null || v.isNaN() ? 0.0 : v).toList();
            chart.addSeries(e.getKey(), b.categories(), ys);
        }
        return chart;
    }

    static XYChart lines(ChartSpec.Lines l) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(l.title())
                .xAxisTitle(l.xLabel()).yAxisTitle(l.yLabel()).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Map.Entry<String, List<double[]>> e : l.series().entrySet()) {
            List<double[]> pts = e.getValue().stream().filter(p -> !Double.isNaN(p[1])).toList();
            if (pts.isEmpty()) {
                continue;
            }
            double[] xs = pts.stream().mapToDouble(p -> p[0]).toArray();
            double[] ys = pts.stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(e.getKey(), xs, ys);
        }
        return chart;
    }
}
