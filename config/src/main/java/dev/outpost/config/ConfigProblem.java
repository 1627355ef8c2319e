package dev.outpost.config;

/**
 * One thing wrong with a config document: where (a key path such as {@code rules[2].ttl}) and
 * what. The reader turns the path into file, line and column.
 */
public record ConfigProblem(String path, String message) {

    @Override
    public String toString() {
        return (path == null || path.isEmpty() ? "" : path + ": ") + message;
    }
}
