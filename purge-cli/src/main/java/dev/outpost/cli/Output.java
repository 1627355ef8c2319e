package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --output table|json}: human tables by default, the API's JSON for scripts. */
final class Output {

    enum Format { TABLE, JSON }

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json",
            converter = FormatConverter.class)
    Format format = Format.TABLE;

    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "table", "human", "text" -> Format.TABLE;
                case "json" -> Format.JSON;
                default -> throw new picocli.CommandLine.TypeConversionException("--output is table or json, not '" + value + "'");
            };
        }
    }

    boolean json() {
        return format == Format.JSON;
    }

    static void printJson(PrintStream out, Object node) {
        try {
            out.println(OutpostJson.json().writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A plain text table: a header row, then rows, columns padded to their widest cell. */
    static void table(PrintStream out, List<String> header, List<List<String>> rows) {
        tableLines(header, rows).forEach(out::println);
    }

    static void table(java.io.PrintWriter out, List<String> header, List<List<String>> rows) {
        tableLines(header, rows).forEach(out::println);
    }

    private static List<String> tableLines(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] w = new int[header.size()];
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> r : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                sb.append(i == r.size() - 1 ? r.get(i) : String.format("%-" + w[i] + "s  ", r.get(i)));
            }
            lines.add(sb.toString().stripTrailing());
        }
        return lines;
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "-" : v.asText();
    }

    /** An instant field to the second, as people read it. */
    static String time(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return "-";
        }
        try {
            return java.time.Instant.parse(v.asText()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        } catch (java.time.format.DateTimeParseException e) {
            return v.asText();
        }
    }

    static String ratio(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "-" : String.format(java.util.Locale.ROOT, "%.1f%%", v.asDouble() * 100);
    }
}
