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
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** One located line per problem. */
    public List<String> problems() {
        return problems;
    }
}
