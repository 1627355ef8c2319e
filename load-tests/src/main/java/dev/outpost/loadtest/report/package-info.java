/**
 * The report of a run: the model ({@link dev.outpost.loadtest.report.Report} of
 * {@link dev.outpost.loadtest.report.Section}s with {@link dev.outpost.loadtest.report.Metric}s,
 * {@link dev.outpost.loadtest.report.Target}s and {@link dev.outpost.loadtest.report.ChartSpec}s),
 * the markdown writer whose format stays stable from run to run
 * ({@link dev.outpost.loadtest.report.ReportWriter}), the PNG charts
 * ({@link dev.outpost.loadtest.report.Charts}) and the machine description.
 */
package dev.outpost.loadtest.report;
