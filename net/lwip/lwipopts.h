/* net/lwip/lwipopts.h: lwIP configuration (lwIP src/include/lwip/opt.h
 * documents each option). NO_SYS raw-API mode driven from the event loop:
 * no threads, no sockets, no locking. Sized for a server: see Memory. */
#ifndef NET_LWIP_LWIPOPTS_H
#define NET_LWIP_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_TIMERS 1

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
/* The firewall drops every fragment (docs/firewall.md): the stack neither
 * reassembles nor sends any, so both sides agree. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0
/* No RFC 5227 address-conflict probing after the DHCP ACK: it adds 5-9 s
 * to every boot, and on the virtual networks this image runs on the DHCP
 * server is authoritative for the addresses it hands out. */
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define LWIP_ACD 0
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_RAW 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_TCP_KEEPALIVE 1

/* Memory. TCP payload copies and PBUF_RAM buffers come from our malloc
 * heap (sized from the VM's RAM, kernel/memory.c), not a fixed lwIP
 * array; every use of it is bounded: at most MEMP_NUM_TCP_PCB connections,
 * each holding at most TCP_SND_BUF unsent/unacked bytes (tcp_write refuses
 * more) and TCP_WND received bytes. The HTTP server sizes its pool so that
 * its connections' share of this fits in half the heap (app/http.c).
 * The fixed pools below stay static so a flood cannot grow them. */
#define MEM_ALIGNMENT 8
#define MEM_LIBC_MALLOC 1
#define MEMP_NUM_PBUF 1024          /* PBUF_ROM/REF: zero-copy sends */
#define MEMP_NUM_TCP_PCB 1056       /* connections at once (the HTTP pool takes 1024) */
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 4096       /* queued segments, all connections */
#define PBUF_POOL_SIZE 1024         /* receive buffers (1.5 KiB each) */

#define TCP_MSS 1460
#define TCP_WND (44 * TCP_MSS)
#define TCP_SND_BUF (44 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)

/* lwIP's own statistics stay off: under TCG they cost ~30% of download
 * throughput (measured with tools/bench-net.py: 50-80 vs 85-110 MB/s).
 * The device and backlog counters in net_log_stats come from our code. */
#define LWIP_STATS 0
#define LWIP_DEBUG 0

#endif
