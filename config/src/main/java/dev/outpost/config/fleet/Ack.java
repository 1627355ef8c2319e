package dev.outpost.config.fleet;

/**
 * A node's acknowledgement. Purge acks are cumulative: sequence {@code n} says every purge up
 * to and including {@code n} has been applied, in order. Either field may be absent.
 *
 * @param configVersion the config version now applied
 * @param purgeSequence the last purge sequence applied
 * @param configError why the node refused the config version it was sent (then {@code
 *     configVersion} names the refused version and the node keeps running its previous one)
 */
public record Ack(Long configVersion, Long purgeSequence, String configError) {

    public static Ack purge(long sequence) {
        return new Ack(null, sequence, null);
    }

    public static Ack config(long version) {
        return new Ack(version, null, null);
    }

    public static Ack configRefused(long version, String why) {
        return new Ack(version, null, why);
    }
}
