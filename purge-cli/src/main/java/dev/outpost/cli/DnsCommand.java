package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.OutpostJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dns resolve NAME --client IP}: what a client at that address gets from GeoDNS and
 * why (its location, the policy, every candidate edge with distance, health and drain state),
 * from the control plane's {@code GET /v1/dns/resolve}. A human table by default,
 * {@code --output json} for scripts.
 */
@Command(name = "dns", description = "GeoDNS: what clients get and why.",
        subcommands = {DnsCommand.Resolve.class, CommandLine.HelpCommand.class})
public final class DnsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** One name, one client address. */
    @Command(name = "resolve",
            description = "Show what a client at IP gets for NAME, and why: its location, the policy applied, the candidates.")
    static final class Resolve implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "a name in the CDN's zone, e.g. www.cdn.example.test")
        String name;

        @Option(names = "--client", required = true, paramLabel = "IP", description = "the client's IPv4 or IPv6 address")
        String client;

        @Option(names = "--control-plane", paramLabel = "URL", description = "control plane URL (default: $OUTPOST_CONTROL_PLANE)")
        String controlPlane;

        @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token (default: $OUTPOST_TOKEN)")
        String token;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default) or json")
        String output = "table";

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String base = controlPlane != null ? controlPlane : System.getenv("OUTPOST_CONTROL_PLANE");
            String auth = token != null ? token : System.getenv("OUTPOST_TOKEN");
            String format = output.toLowerCase(Locale.ROOT);
            if (!format.equals("table") && !format.equals("json")) {
                err.println("dns resolve: --output is table or json, not '" + output + "'");
                return 2;
            }
            if (base == null || base.isBlank()) {
                err.println("dns resolve: no control plane: give --control-plane URL or set OUTPOST_CONTROL_PLANE");
                return 2;
            }
            URI uri;
            try {
                uri = URI.create(base.replaceAll("/+$", "") + "/v1/dns/resolve?name="
                        + URLEncoder.encode(name, StandardCharsets.UTF_8) + "&client="
                        + URLEncoder.encode(client, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                err.println("dns resolve: not a URL: '" + base + "'");
                return 2;
            }
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .header("Accept", "application/json").GET();
            if (auth != null && !auth.isBlank()) {
                req.header("Authorization", "Bearer " + auth);
            }
            HttpResponse<String> r;
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                err.println("dns resolve: cannot reach the control plane at " + base + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("dns resolve: interrupted");
                return 1;
            }
            JsonNode body;
            try {
                body = OutpostJson.json().readTree(r.body());
            } catch (IOException e) {
                body = null;
            }
            if (r.statusCode() / 100 != 2) {
                String what = body != null && body.hasNonNull("error") ? body.get("error").asText() : "HTTP " + r.statusCode();
                String detail = body != null && body.hasNonNull("detail") ? ": " + body.get("detail").asText() : "";
                err.println("dns resolve: " + what + detail);
                return 1;
            }
            if (body == null) {
                err.println("dns resolve: the control plane's answer is not JSON");
                return 1;
            }
            if (format.equals("json")) {
                try {
                    out.println(OutpostJson.json().writerWithDefaultPrettyPrinter().writeValueAsString(body));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                render(body, out);
            }
            out.flush();
            return 0;
        }
    }

    /** The explanation as a few lines and a table of candidates. */
    static void render(JsonNode x, PrintWriter out) {
        JsonNode c = x.path("client");
        out.printf("%s for %s: %s%n", text(x, "name"), text(c, "address"), text(x, "rcode"));
        String where = c.path("located").asBoolean()
                ? String.join(", ", List.of(text(c, "city"), text(c, "country"), text(c, "continent")))
                + String.format(Locale.ROOT, " (%.2f,%.2f)", c.path("latitude").asDouble(), c.path("longitude").asDouble())
                : "unknown location";
        out.printf("client:   %s, network %s%n", where, text(c, "network"));
        if (!x.hasNonNull("policy")) {
            out.println("no edges: the name is " + (text(x, "rcode").equals("REFUSED") ? "outside every zone" : "not answered with edges"));
            return;
        }
        out.printf("policy:   %s%s%n", text(x, "policy"), x.hasNonNull("override") ? " (" + text(x, "override") + ")" : "");
        out.printf("answer:   A %s  AAAA %s  ttl %ss%s  ecs scope /%s%n", list(x.path("ipv4-answers")),
                list(x.path("ipv6-answers")), text(x, "ttl"), x.path("degraded").asBoolean() ? " (degraded)" : "",
                text(x, "ecs-scope"));
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode e : x.path("candidates")) {
            rows.add(List.of(text(e, "node-id"), text(e, "region"),
                    e.hasNonNull("distance-km") ? String.format(Locale.ROOT, "%.0f", e.get("distance-km").asDouble()) : "-",
                    yes(e, "healthy"), yes(e, "drained"), text(e, "weight"), yes(e, "in-pool"),
                    e.path("chosen").asBoolean() ? "*" : "", list(e.path("addresses"))));
        }
        Output.table(out, List.of("NODE", "REGION", "DISTANCE-KM", "HEALTHY", "DRAINED", "WEIGHT", "IN-POOL", "CHOSEN",
                "ADDRESSES"), rows);
    }

    private static String text(JsonNode n, String field) {
        return Output.text(n, field);
    }

    private static String yes(JsonNode n, String field) {
        return n.path(field).asBoolean() ? "yes" : "no";
    }

    private static String list(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(i -> items.add(i.asText()));
        return items.isEmpty() ? "-" : String.join(",", items);
    }
}
