package dev.outpost.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a fleet delivers and how: the hosts it answers for, the origins behind them and the
 * per-path rules. This is the part of a node's configuration that the control plane versions
 * and pushes; a standalone node reads the same keys from its own file.
 *
 * @param hosts hosts the node answers for (exact, or {@code *.example.com}); empty means any
 * @param unknownHostStatus status for a Host not in {@code hosts}: 421 or 404
 * @param origins origin pools by name
 * @param rules ordered per-path rules; the first match wins
 * @param defaultRule applies when no rule matches, and fills what a matching rule leaves out
 */
public record DeliveryConfig(
        List<String> hosts,
        Integer unknownHostStatus,
        List<OriginConfig> origins,
        List<Rule> rules,
        Rule defaultRule) {

    public static final DeliveryConfig EMPTY = new DeliveryConfig(null, null, null, null, null);

    public DeliveryConfig {
        hosts = hosts == null ? List.of() : hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        unknownHostStatus = unknownHostStatus == null ? 421 : unknownHostStatus;
        origins = origins == null ? List.of() : List.copyOf(origins);
        rules = rules == null ? List.of() : List.copyOf(rules);
        defaultRule = defaultRule == null ? Rule.BUILT_IN : defaultRule.withDefaults(Rule.BUILT_IN);
    }

    /** The origin of that name, or null. */
    public OriginConfig origin(String name) {
        for (OriginConfig o : origins) {
            if (o.name() != null && o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }

    /** This config with origin {@code default} replaced (or added) by a pool of one server. */
    public DeliveryConfig withDefaultOrigin(String url) {
        List<OriginConfig> list = new ArrayList<>();
        for (OriginConfig o : origins) {
            if (!"default".equals(o.name())) {
                list.add(o);
            }
        }
        list.addFirst(OriginConfig.single("default", url));
        return new DeliveryConfig(hosts, unknownHostStatus, list, rules, defaultRule);
    }
}
