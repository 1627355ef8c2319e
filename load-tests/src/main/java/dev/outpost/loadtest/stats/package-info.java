/**
 * Medians, percentiles and ratios used by every scenario and by the report:
 * {@link dev.outpost.loadtest.stats.Stats}.
 */
package dev.outpost.loadtest.stats;
