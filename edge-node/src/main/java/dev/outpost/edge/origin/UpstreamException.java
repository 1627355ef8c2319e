package dev.outpost.edge.origin;

/**
 * No usable response came from upstream. The kind decides what the client gets when no stale
 * copy can stand in: 504 for timeouts, 502 otherwise, with Cache-Status saying why.
 */
public final class UpstreamException extends Exception {

    /** Why upstream failed. */
    public enum Kind {
        /** Connection refused, reset or unreachable. */
        CONNECT,
        /** Connect, read or total timeout. */
        TIMEOUT,
        /** Not valid HTTP (garbage status line, broken framing). */
        PROTOCOL,
        /** Every server of the pool is down, ejected or at its connection limit. */
        NO_SERVER
    }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The status a client gets for this failure. */
    public int status() {
        return kind == Kind.TIMEOUT ? 504 : 502;
    }

    /** A short token for Cache-Status {@code detail} and logs. */
    public String detail() {
        return switch (kind) {
            case CONNECT -> "origin-unreachable";
            case TIMEOUT -> "origin-timeout";
            case PROTOCOL -> "origin-invalid-response";
            case NO_SERVER -> "no-origin-server";
        };
    }
}
