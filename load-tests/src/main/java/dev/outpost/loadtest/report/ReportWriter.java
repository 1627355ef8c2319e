package dev.outpost.loadtest.report;

import dev.outpost.loadtest.stats.Stats;
import dev.outpost.loadtest.system.SystemKind;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Writes a {@link Report} as markdown in a format that stays the same from run to run (same
 * headings, same columns, same number formats), so two reports can be put side by side or
 * diffed. Every metric row has one column per system and one ratio column per peer: Outpost
 * divided by that peer, measured in the same run.
 */
public final class ReportWriter {

    /**
     * Bumped only when the layout changes, so readers know which reports compare directly. v2
     * added the ATS column and its ratio column (Outpost ÷ ATS) after Varnish's.
     */
    public static final String FORMAT = "outpost-bench-report v2";

    private ReportWriter() {
    }

    /** The markdown text; {@code chartDir} is the charts' directory relative to the report file. */
    public static String write(Report r, String chartDir) {
        StringBuilder md = new StringBuilder(16 * 1024);
        md.append("# Outpost benchmark report\n\n");
        md.append("Format: ").append(FORMAT).append("  \n");
        md.append("Started (UTC): ").append(r.startedUtc()).append("  \n");
        md.append("Mode: ").append(r.mode()).append("  \n");
        md.append("Duration: ").append(r.durationText()).append("\n\n");

        md.append("## Machine\n\n| Item | Value |\n| --- | --- |\n");
        for (String[] row : r.machine()) {
            md.append("| ").append(cell(row[0])).append(" | ").append(cell(row[1])).append(" |\n");
        }
        md.append('\n');

        md.append("## Run notes\n\n");
        if (r.runNotes().isEmpty()) {
            md.append("- none\n");
        }
        for (String n : r.runNotes()) {
            md.append("- ").append(n).append('\n');
        }
        md.append('\n');

        md.append("## Targets\n\n| Target | Verdict | Detail |\n| --- | --- | --- |\n");
        for (Target t : r.targets()) {
            md.append("| ").append(cell(t.goal())).append(" | ").append(t.status().text()).append(" | ")
                    .append(cell(t.detail())).append(" |\n");
        }
        if (r.targets().isEmpty()) {
            md.append("| (no scenario with a target ran) | not measured | |\n");
        }
        md.append('\n');

        int n = 1;
        for (Section s : r.sections()) {
            md.append("## ").append(n++).append(". ").append(s.title()).append(" (`").append(s.id()).append("`)\n\n");
            md.append(s.description()).append("\n\n");
            if (!s.metrics().isEmpty()) {
                metricTable(md, s.metrics());
            }
            for (Table t : s.tables()) {
                md.append("**").append(t.title()).append("**\n\n");
                md.append("| ").append(String.join(" | ", t.header().stream().map(ReportWriter::cell).toList())).append(" |\n");
                md.append("|").append(" --- |".repeat(t.header().size())).append('\n');
                for (List<String> row : t.rows()) {
                    md.append("| ").append(String.join(" | ", row.stream().map(ReportWriter::cell).toList())).append(" |\n");
                }
                md.append('\n');
            }
            for (ChartSpec c : s.charts()) {
                md.append("![").append(c.title()).append("](").append(chartDir).append('/').append(c.file()).append(")\n\n");
            }
            if (!s.notes().isEmpty()) {
                md.append("Notes:\n\n");
                for (String note : s.notes()) {
                    md.append("- ").append(note).append('\n');
                }
                md.append('\n');
            }
        }
        return md.toString();
    }

    static void metricTable(StringBuilder md, List<Metric> metrics) {
        md.append("| Metric | Unit");
        for (SystemKind k : SystemKind.values()) {
            md.append(" | ").append(k.display());
        }
        for (SystemKind k : peers()) {
            md.append(" | Outpost ÷ ").append(k.display());
        }
        md.append(" | Better |\n|");
        md.append(" --- |".repeat(2 + SystemKind.values().length + peers().size() + 1)).append('\n');
        for (Metric m : metrics) {
            md.append("| ").append(cell(m.name())).append(" | ").append(m.unit());
            for (SystemKind k : SystemKind.values()) {
                md.append(" | ").append(number(m.value(k), m.decimals()));
            }
            for (SystemKind k : peers()) {
                md.append(" | ").append(ratio(Stats.ratio(m.value(SystemKind.OUTPOST), m.value(k))));
            }
            md.append(" | ").append(m.better().text()).append(" |\n");
        }
        md.append('\n');
    }

    static List<SystemKind> peers() {
        return List.of(SystemKind.NGINX, SystemKind.VARNISH, SystemKind.ATS);
    }

    /** A figure with fixed decimals and thousands separators; {@code n/a} when missing. */
    public static String number(OptionalDouble v, int decimals) {
        if (v.isEmpty() || Double.isNaN(v.getAsDouble())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", v.getAsDouble());
    }

    /** A ratio as {@code 1.23×}; {@code n/a} when either side is missing. */
    public static String ratio(OptionalDouble r) {
        if (r.isEmpty() || Double.isNaN(r.getAsDouble()) || Double.isInfinite(r.getAsDouble())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2f×", r.getAsDouble());
    }

    static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
