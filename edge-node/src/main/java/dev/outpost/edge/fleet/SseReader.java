package dev.outpost.edge.fleet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Reads Server-Sent Events (event, data, id; comments are keep-alives) from a stream, one event at a time. */
final class SseReader {

    /** One event; {@code event} is {@code message} when the server named none. */
    record Event(String event, String data, String id) {
    }

    private final BufferedReader in;
    private final Runnable onBytes;

    SseReader(InputStream in, Runnable onBytes) {
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.onBytes = onBytes;
    }

    /** The next event, or null at the end of the stream. */
    Event next() throws IOException {
        String event = null;
        String id = null;
        StringBuilder data = null;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            onBytes.run();
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(event == null ? "message" : event, data.toString(), id);
                }
                event = null;
                id = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue; // keep-alive
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> event = value;
                case "id" -> id = value;
                case "data" -> {
                    if (data == null) {
                        data = new StringBuilder(value);
                    } else {
                        data.append('\n').append(value);
                    }
                }
                default -> {
                    // retry and unknown fields are ignored
                }
            }
        }
        return null;
    }
}
