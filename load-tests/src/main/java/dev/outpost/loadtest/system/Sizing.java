package dev.outpost.loadtest.system;

/**
 * How big a system's cache is for one scenario. {@code capacityBytes} is the budget in body
 * bytes, the same for every system; each system turns it into its own setting so that it can
 * hold the same number of objects of {@code objectSize} (nginx counts whole file-system blocks
 * per cached file, Varnish counts headers and object structs in its storage, Outpost is given
 * the budget split across its tiers). {@code largeObjects} asks for storage that can take a
 * 1 GiB object.
 */
public record Sizing(long capacityBytes, long objectSize, boolean largeObjects) {

    /** The default for throughput scenarios: plenty of room, 64 MiB of memory tier. */
    public static Sizing roomy() {
        return new Sizing(1L << 30, 1024, false);
    }

    /**
     * Room for a 1 GiB object on disk: 5 GiB for every system, since Outpost's disk tier does
     * not admit an object larger than a quarter of its size.
     */
    public static Sizing large() {
        return new Sizing(5L << 30, 1L << 30, true);
    }

    public long objects() {
        return Math.max(1, capacityBytes / Math.max(1, objectSize));
    }
}
