package dev.outpost.cli;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;

/** The control plane's HTTP API as the CLI uses it: JSON in and out, every failure turned into one line. */
final class ApiClient {

    private final URI base;
    private final String token;
    private final HttpClient http;

    ApiClient(URI base, String token) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    URI base() {
        return base;
    }

    /** A response: status and parsed JSON body (null when empty). */
    record Response(int status, @Nullable JsonNode body) {
    }

    JsonNode get(String path) {
        return ok(send(HttpRequest.newBuilder(uri(path)).GET(), Duration.ofSeconds(70)));
    }

    JsonNode post(String path, String contentType, String body) {
        return ok(send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)), Duration.ofSeconds(70)));
    }

    JsonNode postJson(String path, Object body) {
        try {
            return post(path, "application/json", OutpostJson.json().writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private URI uri(String path) {
        return URI.create(base + path);
    }

    private Response send(HttpRequest.Builder b, Duration timeout) {
        b.header("Authorization", "Bearer " + token).header("Accept", "application/json").timeout(timeout);
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException e) {
            throw new CliException("cannot reach the control plane at " + base + ": connection timed out");
        } catch (HttpTimeoutException e) {
            throw new CliException("the control plane at " + base + " did not answer in time");
        } catch (ConnectException e) {
            throw new CliException("cannot reach the control plane at " + base + ": connection refused");
        } catch (IOException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            if (root instanceof UnresolvedAddressException || root instanceof java.net.UnknownHostException) {
                throw new CliException("cannot reach the control plane at " + base + ": unknown host");
            }
            throw new CliException("cannot reach the control plane at " + base + ": "
                    + (root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        JsonNode body = null;
        if (!r.body().isBlank()) {
            try {
                body = OutpostJson.json().readTree(r.body());
            } catch (IOException e) {
                throw new CliException("the control plane at " + base + " answered " + r.statusCode() + " with something that is not JSON"
                        + " (is this the control plane's URL?)");
            }
        }
        return new Response(r.statusCode(), body);
    }

    private JsonNode ok(Response r) {
        if (r.status() / 100 == 2) {
            // an empty 2xx body reads as a missing node, so callers never meet null
            JsonNode body = r.body();
            return body != null ? body : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        String error = r.body() != null && r.body().has("error") ? r.body().get("error").asText() : "HTTP " + r.status();
        String detail = detail(r.body());
        throw switch (r.status()) {
            case 401 -> new CliException("the control plane refused the token (401 " + error + "): check --token or " + CliContext.ENV_TOKEN);
            case 403 -> new CliException("the token is not allowed to do this (403): " + detail);
            default -> new CliException(error + " (" + r.status() + "): " + detail);
        };
    }

    static String detail(@Nullable JsonNode body) {
        if (body == null || !body.has("detail")) {
            return "no detail";
        }
        JsonNode d = body.get("detail");
        if (d.isArray()) {
            StringBuilder sb = new StringBuilder();
            d.forEach(x -> sb.append(sb.isEmpty() ? "" : "; ").append(x.asText()));
            return sb.toString();
        }
        return d.isTextual() ? d.asText() : d.toString();
    }
}
