/**
 * Connection limits shared by every listener: {@link dev.outpost.listeners.PerAddressLimit}
 * (connections per remote address) and {@link dev.outpost.listeners.GuardedHttpListener} (an
 * HTTP/1.1 listener with that limit, a request-head timeout and an idle timeout). Start with
 * {@code GuardedHttpListener}.
 */
@NullMarked
package dev.outpost.listeners;

import org.jspecify.annotations.NullMarked;
