package dev.outpost.edge.rules;

import dev.outpost.config.DeliveryConfig;
import dev.outpost.config.PathGlob;
import dev.outpost.config.Rule;
import dev.outpost.config.RuleMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A delivery config's rules, compiled for matching: the first rule whose conditions hold
 * applies, with every setting it leaves out taken from the default rule. Immutable: a new
 * config compiles a new set, swapped in atomically.
 */
public final class RuleSet {

    private final List<Compiled> rules;
    private final Rule fallback;
    private final List<String> hosts;

    public RuleSet(DeliveryConfig config) {
        this.fallback = config.defaultRule();
        List<Compiled> list = new ArrayList<>();
        for (Rule r : config.rules()) {
            list.add(new Compiled(r.match(), r.withDefaults(fallback), pathPattern(r.match())));
        }
        this.rules = List.copyOf(list);
        this.hosts = config.hosts();
    }

    private static Pattern pathPattern(RuleMatch m) {
        if (m.pathGlob() != null) {
            return PathGlob.compile(m.pathGlob());
        }
        if (m.pathRegex() != null) {
            return Pattern.compile(m.pathRegex());
        }
        return null;
    }

    /** The rule for a request: host (normalised, without port), path and method. */
    public Rule match(String host, String path, String method) {
        for (Compiled c : rules) {
            if (c.matches(host, path, method)) {
                return c.rule;
            }
        }
        return fallback;
    }

    /** Whether the node answers for {@code host} (normalised, without port). */
    public boolean hostAllowed(String host) {
        if (hosts.isEmpty()) {
            return true;
        }
        for (String h : hosts) {
            if (hostMatches(h, host)) {
                return true;
            }
        }
        return false;
    }

    static boolean hostMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            return host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1;
        }
        return pattern.equals(host);
    }

    private record Compiled(RuleMatch match, Rule rule, Pattern path) {
        boolean matches(String host, String p, String method) {
            if (match.host() != null && (host == null || !hostMatches(match.host(), host))) {
                return false;
            }
            if (!match.methods().isEmpty() && !match.methods().contains(method)) {
                return false;
            }
            if (match.pathPrefix() != null) {
                return p.startsWith(match.pathPrefix());
            }
            if (path != null) {
                return match.pathGlob() != null ? path.matcher(p).matches() : path.matcher(p).lookingAt();
            }
            return true;
        }
    }

    /** Methods whose responses this cache may store and reuse. */
    public static final Set<String> CACHEABLE_METHODS = Set.of("GET", "HEAD");
}
