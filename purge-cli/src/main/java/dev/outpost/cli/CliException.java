package dev.outpost.cli;

/** A failure the CLI reports as one line on stderr, with its exit code. */
final class CliException extends RuntimeException {

    final int exitCode;

    CliException(String message) {
        this(message, OutpostCli.EXIT_ERROR);
    }

    CliException(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    static CliException usage(String message) {
        return new CliException(message, OutpostCli.EXIT_USAGE);
    }
}
