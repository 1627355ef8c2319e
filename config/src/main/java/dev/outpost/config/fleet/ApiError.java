package dev.outpost.config.fleet;

/**
 * The body of every error answer of the control-plane API (and the node admin listener):
 * a short, stable {@code error} code and a {@code detail} for people (a string, or a list of
 * problems).
 */
public record ApiError(String error, Object detail) {
}
