package dev.outpost.config;

import java.util.List;
import java.util.Locale;

/**
 * What a rule applies to. Every condition given must hold; an absent one matches anything.
 * At most one of {@code path-prefix}, {@code path-glob} and {@code path-regex} may be set.
 *
 * @param host exact host, or {@code *.example.com} for any subdomain
 * @param pathPrefix a path prefix such as {@code /static/}
 * @param pathGlob a glob: {@code *} matches within a segment, {@code **} across segments
 * @param pathRegex a Java regular expression, matched against the start of the path
 * @param methods request methods, upper case; empty means any
 */
public record RuleMatch(String host, String pathPrefix, String pathGlob, String pathRegex, List<String> methods) {

    public static final RuleMatch ANY = new RuleMatch(null, null, null, null, List.of());

    public RuleMatch {
        host = host == null ? null : host.toLowerCase(Locale.ROOT);
        methods = methods == null ? List.of() : methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
    }
}
