/* net/firewall.h: the firewall as the network layer runs it (net-internal;
 * the public part is in net/net.h). net/netif.c calls firewall_in for each
 * received frame before lwIP sees it and firewall_out for each frame lwIP
 * hands to the driver; 1 means pass, 0 drop (counted and, rate-limited,
 * logged). Without net_firewall_init everything passes.
 */
#ifndef NET_FIREWALL_H
#define NET_FIREWALL_H

#include <stddef.h>
#include <stdint.h>

int firewall_in(const uint8_t *frame, size_t len);
/* hdr: the first caplen bytes of a len-byte frame (FW_HDR_MAX suffice). */
int firewall_out(const uint8_t *hdr, size_t caplen, size_t len);
/* The interface's address and mask (host byte order) once it has one. */
void firewall_set_address(uint32_t addr, uint32_t mask);

#endif
