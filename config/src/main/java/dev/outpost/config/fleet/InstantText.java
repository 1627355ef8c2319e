package dev.outpost.config.fleet;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Instants in fleet messages as ISO-8601 text ({@code 2026-01-01T00:00:00Z}), the way people read them. */
final class InstantText {

    private InstantText() {
    }

    static final class Write extends StdSerializer<Instant> {
        Write() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(value.toString());
        }
    }

    static final class Read extends StdDeserializer<Instant> {
        Read() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            String text = p.getValueAsString();
            try {
                return text == null ? null : Instant.parse(text);
            } catch (DateTimeParseException e) {
                return (Instant) ctx.handleWeirdStringValue(Instant.class, text, "not an ISO-8601 instant such as 2026-01-01T00:00:00Z");
            }
        }
    }
}
