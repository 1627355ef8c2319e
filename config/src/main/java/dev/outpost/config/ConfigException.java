package dev.outpost.config;

import java.util.List;

/**
 * A config that was refused. Each line of the message names the file, line and key of one
 * problem, e.g. {@code edge.yaml:14:7: rules[1].path-regex: invalid regular expression ...}, so
 * an operator can go straight to it. A node never starts with a config that raised this.
 */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        List<String> lines = problems.stream().map(ConfigException::oneLine).toList();
        super(String.join("\n", lines));
        this.problems = lines;
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** One located line per problem. */
    public List<String> problems() {
        return problems;
    }

    /**
     * A problem as one line: a value quoted in it may span lines (a multi-line YAML string)
     * or hold control characters, which are shown escaped as in Java source (a line break as
     * backslash-n), so a CLI still prints one line per problem and a log one record.
     */
    static String oneLine(String problem) {
        StringBuilder sb = null;
        for (int i = 0; i < problem.length(); i++) {
            char c = problem.charAt(i);
            if (c >= 0x20 && c != 0x7f && c != 0x2028 && c != 0x2029 && c != 0x85) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(problem.length() + 16).append(problem, 0, i);
            }
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb == null ? problem : sb.toString();
    }
}
