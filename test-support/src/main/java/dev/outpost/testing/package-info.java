/**
 * Test support shared by every module, so all of them test the same way over real sockets:
 * {@link dev.outpost.testing.ManualClock} for time, {@link dev.outpost.testing.ChildJvm} for
 * processes killed mid-work, {@link dev.outpost.testing.RawHttp} for bytes no client sends,
 * {@link dev.outpost.testing.Await} for what happens elsewhere, and
 * {@link dev.outpost.testing.OriginExtension} for a WireMock origin on port 0 (each module
 * that starts a node has an extension for it beside its tests, e.g. edge-node's
 * {@code EdgeExtension}).
 */
package dev.outpost.testing;
