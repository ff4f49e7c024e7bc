/* net/fw_table.h: the firewall's internals shared by net/fw.c (parsing,
 * rules, verdicts), net/fw_track.c (the flow table and the TCP state
 * machine) and net/fw_show.c (text). Private to those files.
 *
 * Flows live in one array allocated at init (index 0 unused, so 0 ends a
 * chain). A keyed hash finds them (chains through hnext); every flow is
 * also on exactly one idle list, per timeout class, in last-seen order, so
 * the oldest flow of each class is its list's head: expiry pops heads and
 * never scans, and the per-packet cost does not depend on the table size.
 */
#ifndef NET_FW_TABLE_H
#define NET_FW_TABLE_H

#include "net/fw.h"

/* A flow as the appliance sees it: our end and the peer's. ICMP echo
 * keeps the identifier in lport, rport 0; other protocols no ports. */
struct fw_key { uint32_t local, remote; uint16_t lport, rport; uint8_t proto; };

/* Timeout classes (docs/firewall.md, "Idle timeouts"). */
enum fw_class {
    FWC_TCP_OPEN,       /* handshake under way: 60 s */
    FWC_TCP_EST,        /* tcp-established-timeout */
    FWC_TCP_CLOSING,    /* a FIN seen: 120 s */
    FWC_TCP_DONE,       /* FINs from both sides: 120 s, and first to go when full */
    FWC_TCP_CLOSED,     /* an RST seen: 10 s */
    FWC_UDP,            /* udp-timeout */
    FWC_UDP_STREAM,     /* udp-stream-timeout */
    FWC_OTHER,          /* ICMP echo and other protocols: other-timeout */
    FWC_COUNT
};

enum fw_tcp_state { TCP_SYN_SENT = 1, TCP_SYN_RECV, TCP_EST, TCP_FIN, TCP_CLOSED };

struct fw_flow {
    struct fw_key key;
    uint8_t orig;               /* direction of the first packet */
    uint8_t rule;               /* rule that admitted it (in set `orig`) */
    uint8_t cls, state;
    uint8_t fin;                /* bit per side that sent a FIN */
    uint8_t rst_side, last_side;
    uint8_t wscale[2];          /* per side, 0xff: no option */
    uint16_t turns;             /* UDP: changes of sending side */
    uint32_t hnext, prev, next;
    uint32_t end[2];            /* per side: highest seq + length sent */
    uint32_t maxwin[2];         /* per side: largest window advertised */
    uint64_t last_ms;
};

struct fw_rule_c { uint32_t net, mask; uint16_t proto, lo, hi, itype, icode; };

struct fw {
    const struct config_firewall *cfg;
    struct fw_rule_c rules[2][CONFIG_FW_RULES_MAX];
    unsigned nrules[2];
    uint64_t k0, k1;
    uint32_t addr, mask;
    uint32_t nflows, bmask, free_head;
    uint32_t head[FWC_COUNT], tail[FWC_COUNT];
    uint64_t timeout_ms[FWC_COUNT];
    struct fw_flow *flow;
    uint32_t *bucket;
    struct fw_stats st;
};

#define FW_SIDE_ORIG 0
#define FW_SIDE_REPLY 1

/* fw_track.c */
void track_init(struct fw *fw);
struct fw_flow *track_find(struct fw *fw, const struct fw_key *k);
/* A new flow for k in class cls, or NULL when the table is full even
 * after expiry and evicting the oldest unestablished flow. */
struct fw_flow *track_new(struct fw *fw, const struct fw_key *k, enum fw_class cls, uint64_t now);
void track_touch(struct fw *fw, struct fw_flow *f, enum fw_class cls, uint64_t now);
void track_free(struct fw *fw, struct fw_flow *f);
void track_reap(struct fw *fw, uint64_t now);
/* The TCP state machine for a packet of flow f from side s: a pass or a
 * drop reason, or -1 when an opening SYN reuses a closed flow's ports
 * (the caller frees it and treats the packet as new). */
int track_tcp(struct fw *fw, struct fw_flow *f, int s, const struct fw_pkt *p, uint64_t now);
void track_tcp_open(struct fw_flow *f, const struct fw_pkt *p);

static inline int fw_proto_slot(uint8_t proto)
{
    return proto == 6 ? 0 : proto == 17 ? 1 : proto == 1 ? 2 : 3;
}

#endif
