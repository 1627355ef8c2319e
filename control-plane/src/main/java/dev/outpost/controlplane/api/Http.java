package dev.outpost.controlplane.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.outpost.config.ConfigReader;
import dev.outpost.config.Durations;
import dev.outpost.config.OutpostJson;
import dev.outpost.config.fleet.ApiError;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;

/** Reading requests and writing JSON answers, with the size limit and error shape of the API. */
final class Http {

    private Http() {
    }

    static void json(HttpServerExchange ex, int status, Object body) {
        byte[] bytes;
        try {
            bytes = OutpostJson.json().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        ex.getResponseSender().send(java.nio.ByteBuffer.wrap(bytes));
    }

    static void error(HttpServerExchange ex, int status, String error, Object detail) {
        if (ex.isResponseStarted()) {
            ex.endExchange();
            return;
        }
        json(ex, status, new ApiError(error, detail));
    }

    /** The request body, refused with 413 past {@code limit} bytes (declared or sent). */
    static byte[] body(HttpServerExchange ex, long limit) {
        long declared = ex.getRequestContentLength();
        if (declared > limit) {
            throw new ApiException(413, "payload-too-large", "request body of " + declared + " bytes; the limit is " + limit);
        }
        if (!ex.isBlocking()) {
            ex.startBlocking();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (InputStream in = ex.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                if (out.size() > limit) {
                    throw new ApiException(413, "payload-too-large", "request body over the limit of " + limit + " bytes");
                }
            }
        } catch (IOException e) {
            throw badRequest("cannot read the request body: " + e.getMessage());
        }
        return out.toByteArray();
    }

    /** The body read as a {@code type} from JSON; 400 naming the field on bad input. */
    static <T> T read(HttpServerExchange ex, long limit, Class<T> type) {
        return parse(body(ex, limit), type);
    }

    /** {@code b} read as a {@code type} from JSON; 400 naming the field on bad input. */
    static <T> T parse(byte[] b, Class<T> type) {
        if (b.length == 0) {
            throw badRequest("empty body: a JSON " + type.getSimpleName() + " is expected");
        }
        try {
            return OutpostJson.json().readValue(b, type);
        } catch (ValueInstantiationException e) {
            throw badRequest(e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage());
        } catch (UnrecognizedPropertyException e) {
            throw badRequest("unknown key '" + e.getPropertyName() + "'");
        } catch (InvalidFormatException e) {
            throw badRequest(ConfigReader.explain(e));
        } catch (JsonProcessingException e) {
            throw badRequest("not valid JSON: " + ConfigReader.explain(e));
        } catch (IOException e) {
            throw badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (var r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "" : sb + ": ";
    }

    static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    static String query(HttpServerExchange ex, String name) {
        Deque<String> d = ex.getQueryParameters().get(name);
        return d == null || d.isEmpty() ? null : d.getFirst();
    }

    static String pathParam(HttpServerExchange ex, String name) {
        String v = query(ex, name);
        if (v == null || v.isEmpty()) {
            throw badRequest("missing " + name);
        }
        return v;
    }

    static long longParam(HttpServerExchange ex, String name, long fallback) {
        String v = query(ex, name);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw badRequest(name + " is not a number: '" + v + "'");
        }
    }

    static Duration durationParam(HttpServerExchange ex, String name, Duration max) {
        String v = query(ex, name);
        if (v == null || v.isEmpty()) {
            return Duration.ZERO;
        }
        try {
            Duration d = Durations.parse(v);
            return d.compareTo(max) > 0 ? max : d;
        } catch (IllegalArgumentException e) {
            throw badRequest(name + ": " + e.getMessage());
        }
    }

    static ApiException badRequest(Object detail) {
        return ApiException.badRequest(detail);
    }
}
