package dev.outpost.config;

import java.time.Duration;

/**
 * Sizes and limits of a node's two cache tiers, and the cache-wide policy knobs.
 *
 * @param memorySize bound of the memory tier, in bytes of bodies and headers
 * @param memoryMaxObject larger objects are served from disk only (default 4MiB, at most a
 *     quarter of the memory tier)
 * @param diskSize bound of the disk tier; least valuable objects are evicted past it
 * @param diskMaxObject larger objects are not stored: they stream through
 * @param chunkSize bodies are stored in chunks of this size, each checksummed
 * @param heuristicFraction freshness of a response without explicit freshness, as a fraction
 *     of the time since its Last-Modified (RFC 9111 §4.2.2)
 * @param heuristicMax cap of heuristic freshness
 * @param maxVariants variants kept per URL when the origin sends Vary
 * @param hitForPass how long a key whose response was not storable skips request collapsing
 * @param hitForPassMemory bound of the hit-for-pass marks in bytes (keys longer than 64
 *     characters are kept as digests); the least used marks are evicted past it
 * @param promotionMemory bytes of disk hits being copied into the memory tier at once; a disk hit
 *     that would go past it is served from disk chunk by chunk and not promoted this time
 */
public record CacheSettings(
        DataSize memorySize,
        DataSize memoryMaxObject,
        DataSize diskSize,
        DataSize diskMaxObject,
        DataSize chunkSize,
        Double heuristicFraction,
        Duration heuristicMax,
        Integer maxVariants,
        Duration hitForPass,
        DataSize hitForPassMemory,
        DataSize promotionMemory) {

    public static final CacheSettings DEFAULT = new CacheSettings(null, null, null, null, null, null, null, null, null, null, null);

    public CacheSettings {
        memorySize = memorySize == null ? DataSize.ofMebibytes(256) : memorySize;
        memoryMaxObject = memoryMaxObject == null
                ? DataSize.ofBytes(Math.min(DataSize.ofMebibytes(4).bytes(), memorySize.bytes() / 4)) : memoryMaxObject;
        diskSize = diskSize == null ? DataSize.ofGibibytes(10) : diskSize;
        diskMaxObject = diskMaxObject == null ? DataSize.ofGibibytes(4) : diskMaxObject;
        chunkSize = chunkSize == null ? DataSize.ofKibibytes(256) : chunkSize;
        heuristicFraction = heuristicFraction == null ? 0.1 : heuristicFraction;
        heuristicMax = heuristicMax == null ? Duration.ofDays(1) : heuristicMax;
        maxVariants = maxVariants == null ? 16 : maxVariants;
        hitForPass = hitForPass == null ? Duration.ofSeconds(60) : hitForPass;
        hitForPassMemory = hitForPassMemory == null ? DataSize.ofMebibytes(8) : hitForPassMemory;
        promotionMemory = promotionMemory == null ? DataSize.ofMebibytes(64) : promotionMemory;
    }
}
