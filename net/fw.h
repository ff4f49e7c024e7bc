/* net/fw.h: the security-group firewall (docs/firewall.md): a pure matcher
 * and connection tracker over raw Ethernet frames. No lwIP types and no
 * hardware: the same code runs in the image (net/firewall.c hooks it where
 * frames enter and leave) and in the host tests, fuzzer and benchmark.
 *
 *   fw_mem_size(flows)          bytes a table of that many flows needs
 *   fw_init(mem, size, cfg, flows, seed)
 *                               a filter over the rules in cfg (kept by
 *                               pointer: cfg must outlive it); seed keys the
 *                               flow hash (from the CSPRNG in the image)
 *   fw_set_address(fw, a, m)    the interface's address and mask once known
 *                               (0 before: "not for us" is then not checked)
 *   fw_filter(fw, dir, frame, caplen, len, now_ms, pkt)
 *                               the verdict for one frame. frame holds the
 *                               first caplen bytes of a len-byte frame (the
 *                               headers: FW_HDR_MAX is enough). now_ms never
 *                               goes backwards. pkt (may be NULL) receives
 *                               what was parsed, for logs.
 *   fw_expire(fw, now_ms)       reclaim idle flows without a packet
 *   fw_stats(fw)                counters (per reason, per rule, flows)
 *   fw_show(fw, buf, cap)       those counters as text (nonzero lines only)
 *   fw_describe(pkt, buf, cap)  one packet as "in tcp A:P -> B:Q [S]"
 *
 * Addresses and ports in struct fw_pkt are in host byte order.
 */
#ifndef NET_FW_H
#define NET_FW_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"

/* Headers the filter may read: Ethernet 14 + IPv4 20 (options are dropped)
 * + ICMP 8 + the quoted IPv4 header (up to 60) + 8 bytes of its ports. */
#define FW_HDR_MAX 160

enum fw_dir { FW_IN = 0, FW_OUT = 1 };

/* Why a frame passed or was dropped; every value has a counter per
 * direction. The pass reasons come first. */
enum fw_reason {
    FW_PASS_ARP,            /* ARP: passes (lwIP validates it) */
    FW_PASS_NEW,            /* a rule allowed it and a flow was created */
    FW_PASS_TRACKED,        /* part of a tracked flow */
    FW_PASS_RELATED,        /* an ICMP error about a tracked flow */
    FW_PASS_STATELESS,      /* a rule allowed it; ICMP other than echo: no flow */
    FW_DROP_NOT_IPV4,       /* an EtherType other than IPv4 and ARP */
    FW_DROP_RUNT,           /* shorter than its Ethernet or IPv4 header */
    FW_DROP_IP_HEADER,      /* IPv4 version, header length or reserved flag */
    FW_DROP_IP_LENGTH,      /* total length shorter than the header or than the frame holds */
    FW_DROP_IP_CHECKSUM,    /* header checksum (inbound) */
    FW_DROP_IP_OPTIONS,     /* IPv4 options (source routing and the like) */
    FW_DROP_FRAGMENT,       /* fragments: never reassembled, never passed */
    FW_DROP_SOURCE,         /* impossible source: 0/8, 127/8, multicast, ours, = destination */
    FW_DROP_NOT_LOCAL,      /* destination neither our address nor broadcast */
    FW_DROP_TCP_HEADER,     /* TCP header length, port 0 */
    FW_DROP_TCP_FLAGS,      /* impossible flags: SYN+FIN, SYN+RST, none, FIN without ACK */
    FW_DROP_UDP_HEADER,     /* UDP length, port 0 */
    FW_DROP_ICMP_HEADER,    /* ICMP too short, or an error quoting a bad header */
    FW_DROP_NO_RULE,        /* no rule of its direction allows it */
    FW_DROP_TCP_NO_FLOW,    /* TCP other than an opening SYN with no tracked flow */
    FW_DROP_TCP_STATE,      /* not valid in its flow's state (bad RST, stray SYN-ACK) */
    FW_DROP_TABLE_FULL,     /* a new flow, and the tracking table is full */
    FW_REASONS
};
#define FW_DROP_FIRST FW_DROP_NOT_IPV4
static inline int fw_passes(enum fw_reason r) { return r < FW_DROP_FIRST; }
/* "no-rule", "fragment", ... (the metrics' label). */
const char *fw_reason_name(enum fw_reason r);
/* A phrase for logs: "no inbound rule allows it" etc. */
const char *fw_reason_text(enum fw_reason r, enum fw_dir dir);

struct fw_pkt {
    uint8_t dir, proto, tcp_flags, icmp_type, icmp_code, wscale, has_inner;
    uint16_t ethertype, sport, dport, ip_len, win;
    uint32_t src, dst, seq, ack, seglen;
    struct { uint8_t proto; uint16_t sport, dport; uint32_t src, dst; } inner;
    int rule;               /* index of the rule credited, -1 none */
    uint8_t rule_dir;       /* the rule set it belongs to */
};

struct fw_rule_count { uint64_t packets, bytes; };

struct fw_stats {
    uint64_t count[2][FW_REASONS];          /* [dir][reason] */
    struct fw_rule_count rule[2][CONFIG_FW_RULES_MAX];
    uint64_t flows_created, flows_expired, flows_evicted, flows_closed;
    uint32_t flows_now, flows_peak, flows_max;
    uint32_t flows_by_proto[4];             /* tcp, udp, icmp, other */
};

struct fw;

size_t fw_mem_size(uint32_t flows);
struct fw *fw_init(void *mem, size_t size, const struct config_firewall *cfg, uint32_t flows,
                   uint64_t seed);
void fw_set_address(struct fw *fw, uint32_t addr, uint32_t mask);
enum fw_reason fw_filter(struct fw *fw, enum fw_dir dir, const uint8_t *frame, size_t caplen,
                         size_t len, uint64_t now_ms, struct fw_pkt *pkt);
void fw_expire(struct fw *fw, uint64_t now_ms);
const struct fw_stats *fw_stats(const struct fw *fw);
const struct config_firewall *fw_config(const struct fw *fw);
size_t fw_show(const struct fw *fw, char *buf, size_t cap);
size_t fw_describe(const struct fw_pkt *p, char *buf, size_t cap);

#endif
