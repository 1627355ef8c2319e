package dev.outpost.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.outpost.config.fleet.Purge;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code purge url|prefix|tag|host|all}: one purge, optionally waiting until every healthy node has acked it. */
@Command(name = "purge", description = "Purge cached content on every node.",
        subcommands = {PurgeCommand.Url.class, PurgeCommand.Prefix.class, PurgeCommand.Tag.class,
                PurgeCommand.Host.class, PurgeCommand.All.class})
final class PurgeCommand extends Group {

    private static final Pattern TAG = Pattern.compile("[\\x21-\\x7e&&[^,\"\\\\]]{1,256}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?(:\\d{1,5})?");

    /** The options every purge takes. */
    abstract static class PurgeBase extends Base {
        @Option(names = "--soft", description = "mark stale instead of deleting (stale-while-revalidate and stale-if-error still apply)")
        boolean soft;

        @Option(names = "--wait", description = "wait until every healthy node has acked, with a progress bar, then print the propagation time")
        boolean await;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
                description = "with --wait: give up (exit 3) after this long (default ${DEFAULT-VALUE})")
        String timeout;

        abstract Purge purge();

        @Override
        public Integer call() {
            Purge p = purge();
            Duration limit = duration(timeout);
            ApiClient api = client();
            JsonNode status = api.postJson("/v1/purges", p);
            long seq = status.get("sequence").asLong();
            if (!await) {
                if (output.json()) {
                    Output.printJson(ctx().out, status);
                } else {
                    ctx().out.println("purge #" + seq + " accepted (" + describe(p) + "): "
                            + status.get("acked").size() + " of " + nodes(status) + " nodes acked so far");
                }
                return 0;
            }
            status = waitFor(api, seq, status, limit, ctx().err, !output.json());
            if (output.json()) {
                Output.printJson(ctx().out, status);
            }
            if (!status.get("complete").asBoolean()) {
                List<String> waiting = new ArrayList<>();
                status.get("pending").forEach(n -> waiting.add(n.asText()));
                ctx().err.println("outpost: purge #" + seq + " not acked by every node within " + timeout
                        + ": waiting on " + String.join(", ", waiting));
                return OutpostCli.EXIT_INCOMPLETE;
            }
            if (!output.json()) {
                JsonNode secs = status.get("propagation-seconds");
                ctx().out.println("purge #" + seq + " complete (" + describe(p) + "): " + status.get("acked").size()
                        + " nodes acked" + (secs == null || secs.isNull() ? ""
                        : String.format(Locale.ROOT, " in %.3f s", secs.asDouble()))
                        + (status.get("unhealthy").isEmpty() ? "" : "; unhealthy nodes catch up on return: " + list(status.get("unhealthy"))));
            }
            return 0;
        }
    }

    static JsonNode waitFor(ApiClient api, long seq, JsonNode status, Duration limit, PrintStream err, boolean bar) {
        long deadline = System.nanoTime() + limit.toNanos();
        ProgressBar pb = bar && nodes(status) > 0 ? new ProgressBarBuilder().setTaskName("purge #" + seq + " nodes acked")
                .setInitialMax(Math.max(1, nodes(status))).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(err, 100)).setUpdateIntervalMillis(100)
                .hideEta().build() : null;
        try {
            while (true) {
                if (pb != null) {
                    pb.maxHint(Math.max(1, nodes(status)));
                    pb.stepTo(status.get("acked").size());
                }
                long left = deadline - System.nanoTime();
                if (status.get("complete").asBoolean() || left <= 0) {
                    return status;
                }
                long waitMs = Math.max(1, Math.min(1000, left / 1_000_000));
                status = api.get("/v1/purges/" + seq + "?wait=" + waitMs + "ms");
            }
        } finally {
            if (pb != null) {
                pb.close();
            }
        }
    }

    static int nodes(JsonNode status) {
        return status.get("acked").size() + status.get("pending").size();
    }

    static String list(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return String.join(", ", out);
    }

    static String describe(Purge p) {
        String kind = p.kind().name().toLowerCase(Locale.ROOT);
        return (p.soft() ? "soft " : "") + kind + (p.values().isEmpty() ? "" : " " + String.join(" ", p.values()));
    }

    static Duration duration(String text) {
        try {
            return dev.outpost.config.Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("--timeout: " + e.getMessage());
        }
    }

    static String url(String v) {
        try {
            URI u = new URI(v);
            if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))) {
                throw CliException.usage("malformed URL '" + v + "': give a full http:// or https:// URL");
            }
            if (u.getHost() == null) {
                throw CliException.usage("malformed URL '" + v + "': no host");
            }
            return v;
        } catch (URISyntaxException e) {
            throw CliException.usage("malformed URL '" + v + "': " + e.getReason());
        }
    }

    @Command(name = "url", description = "Purge these URLs (every variant of each).")
    static final class Url extends PurgeBase {
        @Parameters(paramLabel = "URL", arity = "1..*", description = "full URLs, e.g. https://www.example.com/a.css")
        List<String> urls;

        @Override
        Purge purge() {
            return new Purge(Purge.Kind.URL, urls.stream().map(PurgeCommand::url).toList(), soft);
        }
    }

    @Command(name = "prefix", description = "Purge every URL that starts with this one.")
    static final class Prefix extends PurgeBase {
        @Parameters(paramLabel = "URL", arity = "1", description = "a URL prefix, e.g. https://www.example.com/static/")
        String prefix;

        @Override
        Purge purge() {
            return new Purge(Purge.Kind.PREFIX, List.of(url(prefix)), soft);
        }
    }

    @Command(name = "tag", description = "Purge every object tagged with these surrogate keys (Surrogate-Key or Cache-Tag).")
    static final class Tag extends PurgeBase {
        @Parameters(paramLabel = "TAG", arity = "1..*", description = "surrogate keys")
        List<String> tags;

        @Override
        Purge purge() {
            for (String t : tags) {
                if (!TAG.matcher(t).matches()) {
                    throw CliException.usage("unknown tag syntax '" + t + "': a tag is 1 to 256 visible characters"
                            + " without spaces, commas, quotes or backslashes");
                }
            }
            return new Purge(Purge.Kind.TAG, tags, soft);
        }
    }

    @Command(name = "host", description = "Purge everything cached for this host.")
    static final class Host extends PurgeBase {
        @Parameters(paramLabel = "HOST", arity = "1", description = "a host as clients send it, e.g. www.example.com or www.example.com:8080 (the port and case do not matter: every port is purged)")
        String host;

        @Override
        Purge purge() {
            if (!HOST.matcher(host).matches()) {
                throw CliException.usage("not a host name: '" + host + "'");
            }
            return new Purge(Purge.Kind.HOST, List.of(host), soft);
        }
    }

    @Command(name = "all", description = "Purge everything on every node. Needs --yes.")
    static final class All extends PurgeBase {
        @Option(names = "--yes", description = "yes, purge everything")
        boolean yes;

        @Override
        Purge purge() {
            if (!yes) {
                throw CliException.usage("purge all empties every cache in the fleet: add --yes if you mean it");
            }
            return new Purge(Purge.Kind.ALL, List.of(), soft);
        }
    }
}
