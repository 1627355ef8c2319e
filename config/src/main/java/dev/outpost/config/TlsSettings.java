package dev.outpost.config;

/**
 * TLS from PEM files. On a node's client listener this serves h2 and HTTP/1.1 over TLS; toward
 * the control plane it may carry a client certificate (mutual TLS).
 *
 * @param listen address of the TLS listener (client side of a node)
 * @param certificate PEM certificate chain
 * @param privateKey PEM private key (PKCS#8, PKCS#1 or SEC1)
 * @param clientCa PEM CA bundle: when set, peers must present a certificate it signed
 */
public record TlsSettings(HostPort listen, String certificate, String privateKey, String clientCa) {
}
