/**
 * Command-line flags derived from the config model. {@link dev.outpost.config.flags.ConfigFlags}
 * registers one picocli option per key of a config record (nested keys dotted, lists
 * repeatable, lists of mappings as YAML text), so the promise "every key is also a flag" holds
 * by construction for the edge node and the control plane alike.
 */
package dev.outpost.config.flags;
