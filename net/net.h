/* net/net.h: the network layer's public interface: lwIP over a netdev,
 * address configuration, and (test mode only) the TCP test service.
 * Event-loop context only.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stddef.h>
#include <stdint.h>

struct netdev;
struct config_network;
struct config_firewall;

/* "lwIP 2.2.1, BearSSL 0.6" (static storage). */
const char *net_versions(void);
/* Initialise lwIP and check BearSSL SHA-256 against FIPS 180-2's "abc"
 * vector; logs each result. 0 ok, -1 a check failed. */
int net_selftest(void);

/* Pure: the command line's ip ("dhcp", NULL or "A.B.C.D/N") and gw (NULL
 * or "A.B.C.D") -> cfg, with the config's address rules (config.h). 0, or
 * -1 with a message naming the fix in err. */
int net_parse_config(const char *ip, const char *gw, struct config_network *cfg, char *err,
                     size_t errlen);

/* The security-group firewall (docs/firewall.md) over cfg, which must
 * outlive it; call before net_start. enforce 0 (test.fw=off) passes
 * everything, for benchmarks. 0, or panics when its table cannot be had
 * (the appliance never runs unfiltered by accident). */
int net_firewall_init(const struct config_firewall *cfg, int enforce);
/* The firewall's counters as text, one line per '\n'. */
size_t net_firewall_show(char *buf, size_t cap);
/* The same on the console. */
void net_firewall_log_stats(void);

/* Bring the interface up on nd with cfg and register the network poller
 * on the event loop. Logs "listening" once the address is up. 0 or -1. */
int net_start(struct netdev *nd, const struct config_network *cfg);
/* 1 once the interface has its address. */
int net_ready(void);
/* Log the device and transmit-backlog counters on the console. */
void net_log_stats(void);

/* Test-only TCP service (test.tcpsvc=PORT; never in a normal boot): the
 * first line of each connection picks the mode: "echo", "sink" (reply with
 * the SHA-256 hex of everything received until the client's FIN) or
 * "source N" (send N bytes of the test pattern, then close). 0 or -1. */
int net_testsvc_start(uint16_t port);

#endif
