package dev.outpost.edge.cache;

/** A stored entry failed its checksum or could not be decoded: it is dropped, never served. */
public final class CorruptEntryException extends Exception {

    public CorruptEntryException(String message) {
        super(message, null, false, false);
    }
}
