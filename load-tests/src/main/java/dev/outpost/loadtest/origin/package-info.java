/**
 * The benchmark origin: one small, fast Undertow server that every system under test (Outpost,
 * nginx, Varnish) fetches from, so they all see the same objects, validators and delays, and so
 * the suite can count what each of them costs the origin. Start with
 * {@link dev.outpost.loadtest.origin.BenchOrigin}.
 */
package dev.outpost.loadtest.origin;
