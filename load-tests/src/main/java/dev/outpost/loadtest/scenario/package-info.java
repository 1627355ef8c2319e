/**
 * The scenarios of issue 7, each a {@link dev.outpost.loadtest.scenario.Scenario} returning a
 * report section: {@link dev.outpost.loadtest.scenario.HotHitsScenario},
 * {@link dev.outpost.loadtest.scenario.LargeObjectScenario},
 * {@link dev.outpost.loadtest.scenario.HerdScenario},
 * {@link dev.outpost.loadtest.scenario.HitRatioScenario},
 * {@link dev.outpost.loadtest.scenario.RevalidationScenario} and the benchmarks other features
 * contribute ({@link dev.outpost.loadtest.scenario.ContributedScenario}). Each starts the bench
 * origin once, starts the systems fresh, alternates them across rounds
 * ({@link dev.outpost.loadtest.scenario.BenchContext#order}), reports medians, and stops at its
 * time bound.
 */
package dev.outpost.loadtest.scenario;
