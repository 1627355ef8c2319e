package dev.outpost.config.fleet;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.outpost.config.DeliveryConfig;
import java.time.Instant;

/**
 * One stored version of the delivery config. Versions are never changed or removed: a rollback
 * is a new version equal to an old one, so history reads as what the fleet ran, in order.
 *
 * @param version the version number, from 1, increasing
 * @param createdAt when it was accepted
 * @param target which nodes it is for
 * @param rollbackOf the version it copies, when it is a rollback
 * @param comment what the operator said about it
 * @param config the document itself
 */
public record ConfigVersion(
        long version,
        @JsonSerialize(using = InstantText.Write.class) @JsonDeserialize(using = InstantText.Read.class)
        Instant createdAt,
        ConfigTarget target,
        Long rollbackOf,
        String comment,
        DeliveryConfig config) {

    public ConfigVersion {
        target = target == null ? ConfigTarget.ALL : target;
    }

    /** This version without its document, for history listings. */
    public ConfigVersion summary() {
        return new ConfigVersion(version, createdAt, target, rollbackOf, comment, null);
    }
}
