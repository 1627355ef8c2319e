package dev.outpost.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a key that takes one value or a list (a YAML list, or a flag given several times) into
 * one string with the values separated by commas, so existing single-value readers keep working.
 */
final class CommaJoined extends StdDeserializer<String> {

    CommaJoined() {
        super(String.class);
    }

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            return p.getValueAsString();
        }
        List<String> values = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_STRING) {
                return (String) ctxt.handleUnexpectedToken(String.class, p);
            }
            values.add(p.getText());
        }
        return values.isEmpty() ? null : String.join(",", values);
    }
}
