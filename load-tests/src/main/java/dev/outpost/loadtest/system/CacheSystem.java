package dev.outpost.loadtest.system;

import java.util.Map;

/**
 * A running cache under test, pinned to the server CPU and pointed at the bench origin.
 * Closing it stops the process tree and waits for it.
 */
public interface CacheSystem extends AutoCloseable {

    SystemKind kind();

    /** HTTP/1.1 port on 127.0.0.1. */
    int port();

    /** Port where HTTP/2 with prior knowledge (h2c) is served; may equal {@link #port()}. */
    int h2Port();

    /** The main process; its descendants are part of the system. */
    long pid();

    /** Objects held by tier (e.g. {@code disk}, {@code memory}, {@code storage}), where the system says; empty otherwise. */
    Map<String, Long> objectsHeld();

    /** Where the system's JVM writes its GC log, for systems that run on a JVM. */
    default java.util.Optional<java.nio.file.Path> gcLog() {
        return java.util.Optional.empty();
    }

    /** The exact settings used, for the report (one line). */
    String settings();

    @Override
    void close();
}
