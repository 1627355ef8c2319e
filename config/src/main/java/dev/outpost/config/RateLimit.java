package dev.outpost.config;

/**
 * A token bucket per client: {@code requests-per-second} sustained, {@code burst} at once.
 *
 * @param key {@code client-ip} (default) or {@code header:NAME} to count per value of a header
 */
public record RateLimit(Double requestsPerSecond, Integer burst, String key) {

    public RateLimit {
        requestsPerSecond = requestsPerSecond == null ? 0 : requestsPerSecond;
        burst = burst == null ? (int) Math.max(1, Math.ceil(requestsPerSecond)) : burst;
        key = key == null || key.isBlank() ? "client-ip" : key.trim();
    }
}
