package dev.outpost.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The one Jackson setup for config and fleet messages: kebab-case keys, kebab-case enum values,
 * durations such as {@code 30s}, sizes such as {@code 256MiB}, unknown keys refused. Use
 * {@link #json()} and {@link #yaml()} rather than new mappers, so every part reads and writes
 * the same documents.
 */
public final class OutpostJson {

    private static final ObjectMapper JSON = configure(JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());
    private static final ObjectMapper YAML = configure(YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .stringQuotingChecker(new ReadBackQuoting())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    private OutpostJson() {
    }

    /** Mapper for JSON documents (API bodies, messages, config pushed as JSON). */
    public static ObjectMapper json() {
        return JSON;
    }

    /** Mapper for YAML documents (config files). */
    public static ObjectMapper yaml() {
        return YAML;
    }

    private static ObjectMapper configure(ObjectMapper m) {
        m.setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE);
        m.setSerializationInclusion(JsonInclude.Include.NON_NULL);
        m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        m.disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
        m.disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
        m.configure(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS, true);
        SimpleModule module = new SimpleModule("outpost");
        scalar(module, Duration.class, Durations::parse, Durations::format, true);
        scalar(module, DataSize.class, DataSize::parse, DataSize::toString, true);
        scalar(module, HostPort.class, HostPort::parse, HostPort::toString, false);
        scalar(module, Coordinates.class, Coordinates::parse, Coordinates::toString, false);
        module.setDeserializerModifier(new KebabEnums());
        module.addSerializer(new KebabEnumSerializer());
        m.registerModule(module);
        return m;
    }

    /**
     * Quotes every string the YAML reader would not read back as a string: besides what
     * Jackson quotes, YAML 1.1 floats such as {@code 91.e1}, integers such as {@code 1_000}
     * and timestamps, which a minimal-quotes writer left bare (found by fuzzing: a node id
     * {@code 91.e1} printed and read back was {@code 910.0}).
     */
    private static final class ReadBackQuoting extends StringQuotingChecker.Default {
        private static final Resolver RESOLVER = new Resolver();

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || !Tag.STR.equals(RESOLVER.resolve(NodeId.scalar, value, true));
        }
    }

    /** Kebab-case form of an enum constant: {@code ROUND_ROBIN} is {@code round-robin}. */
    public static String kebab(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static <T> void scalar(SimpleModule module, Class<T> type, Function<String, T> parse,
                                   Function<T, String> format, boolean numbersAllowed) {
        module.addDeserializer(type, new JsonDeserializer<>() {
            @Override
            public T deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                JsonToken t = p.currentToken();
                if (t == JsonToken.VALUE_STRING || (numbersAllowed && t == JsonToken.VALUE_NUMBER_INT)) {
                    try {
                        return parse.apply(p.getText());
                    } catch (IllegalArgumentException e) {
                        return (T) ctx.handleWeirdStringValue(type, p.getText(), e.getMessage());
                    }
                }
                return (T) ctx.handleUnexpectedToken(type, p);
            }
        });
        module.addSerializer(type, new StdSerializer<>(type) {
            @Override
            public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(format.apply(value));
            }
        });
    }

    private static final class KebabEnums extends BeanDeserializerModifier {
        @Override
        public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig config, JavaType type,
                                                          BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
            Class<?> raw = type.getRawClass();
            return new JsonDeserializer<Object>() {
                @Override
                public Object deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                    String text = p.getValueAsString();
                    if (text != null) {
                        String wanted = text.trim().replace('-', '_');
                        for (Object c : raw.getEnumConstants()) {
                            if (((Enum<?>) c).name().equalsIgnoreCase(wanted)) {
                                return c;
                            }
                        }
                    }
                    StringBuilder known = new StringBuilder();
                    for (Object c : raw.getEnumConstants()) {
                        known.append(known.isEmpty() ? "" : ", ").append(kebab((Enum<?>) c));
                    }
                    return ctx.handleWeirdStringValue(raw, String.valueOf(text), "expected one of: " + known);
                }
            };
        }
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class KebabEnumSerializer extends StdSerializer<Enum> {
        KebabEnumSerializer() {
            super(Enum.class);
        }

        @Override
        public void serialize(Enum value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(kebab(value));
        }
    }
}
