/* net/net.h: the network layer's public interface (lwIP, and later the
 * firewall and TLS streams). For now: version strings for the banner and
 * the boot self-test. Event-loop context only. */
#ifndef NET_NET_H
#define NET_NET_H

/* "lwIP 2.2.1, BearSSL 0.6" (static storage). */
const char *net_versions(void);
/* Initialise lwIP and check BearSSL SHA-256 against FIPS 180-2's "abc"
 * vector; logs each result. 0 ok, -1 a check failed. */
int net_selftest(void);

#endif
