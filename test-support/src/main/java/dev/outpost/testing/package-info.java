/**
 * Test support shared by every module, so all of them test the same way over real sockets:
 * {@link dev.outpost.testing.ManualClock} for time, {@link dev.outpost.testing.ChildJvm} for
 * processes killed mid-work, {@link dev.outpost.testing.RawHttp} for bytes no client sends,
 * {@link dev.outpost.testing.Await} for what happens elsewhere. WireMock's own
 * {@code WireMockExtension} serves as the origin.
 */
package dev.outpost.testing;
