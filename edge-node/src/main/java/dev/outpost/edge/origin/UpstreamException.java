package dev.outpost.edge.origin;

/**
 * No usable response came from upstream. The kind decides what the client gets when no stale
 * copy can stand in: 504 for timeouts, 502 otherwise, with Cache-Status {@code detail} saying
 * why. {@link #notSent()} tells whether the request can have reached a server at all, which
 * decides whether a non-idempotent request may go to another one and whether a shield counts
 * as down.
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
    private final String detail;
    private final boolean notSent;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        this(kind, null, message, kind == Kind.NO_SERVER, cause);
    }

    /**
     * @param detail the Cache-Status detail token, or null for the kind's default
     * @param notSent true when the failure happened before any byte of the request was sent
     *     (connection refused, connect timeout, no server to send to)
     */
    public UpstreamException(Kind kind, String detail, String message, boolean notSent, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.detail = detail;
        this.notSent = notSent;
    }

    public Kind kind() {
        return kind;
    }

    /** True when the request never left this node: safe to send elsewhere, whatever its method. */
    public boolean notSent() {
        return notSent;
    }

    /** The status a client gets for this failure. */
    public int status() {
        return kind == Kind.TIMEOUT ? 504 : 502;
    }

    /** A short token for Cache-Status {@code detail} and logs. */
    public String detail() {
        if (detail != null) {
            return detail;
        }
        return switch (kind) {
            case CONNECT -> "origin-unreachable";
            case TIMEOUT -> "origin-timeout";
            case PROTOCOL -> "origin-invalid-response";
            case NO_SERVER -> "no-origin-server";
        };
    }
}
