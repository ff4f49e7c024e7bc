/* net/fw.c: the firewall's verdict for one frame (pure; interface in
 * net/fw.h, semantics in docs/firewall.md).
 *
 * Order: parse and validate the headers (RFC 791, 9293, 768, 792), so a
 * malformed packet is dropped with its own reason before it can touch the
 * table; then the tracked flow (replies pass whatever the rules say, as
 * AWS security groups are stateful); then ICMP errors about a tracked flow;
 * then the rules of the packet's direction, which admit a new flow. Rules
 * only allow and are unordered (any match passes); the first matching rule
 * in file order is the one credited in the counters.
 */
#include "net/fw_table.h"

#include <string.h>

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO 8
#define BCAST 0xffffffffu

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Hash buckets: a power of two at least twice the flows (chains stay short). */
static uint64_t buckets_for(uint32_t flows)
{
    uint64_t b = 1;
    while (b < (uint64_t)flows * 2)
        b <<= 1;
    return b;
}

size_t fw_mem_size(uint32_t flows)
{
    return sizeof(struct fw) + 64 + ((size_t)flows + 1) * sizeof(struct fw_flow) +
           (size_t)buckets_for(flows) * sizeof(uint32_t);
}

static void compile_rules(struct fw *fw, int dir, const struct config_fw_rule *r, unsigned n)
{
    fw->nrules[dir] = n;
    for (unsigned i = 0; i < n; i++) {
        struct fw_rule_c *c = &fw->rules[dir][i];
        c->mask = r[i].prefix ? 0xffffffffu << (32 - r[i].prefix) : 0;
        c->net = be32(r[i].peer) & c->mask;
        c->proto = r[i].proto;
        c->lo = r[i].port_lo;
        c->hi = r[i].port_hi;
        c->itype = r[i].icmp_type;
        c->icode = r[i].icmp_code;
    }
}

struct fw *fw_init(void *mem, size_t size, const struct config_firewall *cfg, uint32_t flows,
                   uint64_t seed)
{
    if (!mem || flows == 0 || size < fw_mem_size(flows))
        return NULL;
    struct fw *fw = mem;
    memset(fw, 0, sizeof *fw);
    fw->cfg = cfg;
    compile_rules(fw, FW_IN, cfg->in, cfg->nin);
    compile_rules(fw, FW_OUT, cfg->out, cfg->nout);
    fw->k0 = seed ^ 0x736f6d6570736575ull;
    fw->k1 = (seed * 0x9e3779b97f4a7c15ull) ^ 0x646f72616e646f6dull;
    fw->nflows = flows;
    fw->bmask = (uint32_t)(buckets_for(flows) - 1);
    uintptr_t p = ((uintptr_t)(fw + 1) + 63) & ~(uintptr_t)63;
    fw->flow = (struct fw_flow *)p;
    fw->bucket = (uint32_t *)(fw->flow + flows + 1);
    /* AWS's handshake and closing timeouts are not published; these are
     * Linux conntrack's order of magnitude (docs/firewall.md). */
    fw->timeout_ms[FWC_TCP_OPEN] = 60000;
    fw->timeout_ms[FWC_TCP_EST] = (uint64_t)cfg->tcp_established * 1000;
    fw->timeout_ms[FWC_TCP_CLOSING] = 120000;
    fw->timeout_ms[FWC_TCP_DONE] = 120000;
    fw->timeout_ms[FWC_TCP_CLOSED] = 10000;
    fw->timeout_ms[FWC_UDP] = (uint64_t)cfg->udp * 1000;
    fw->timeout_ms[FWC_UDP_STREAM] = (uint64_t)cfg->udp_stream * 1000;
    fw->timeout_ms[FWC_OTHER] = (uint64_t)cfg->other * 1000;
    fw->st.flows_max = flows;
    track_init(fw);
    return fw;
}

void fw_set_address(struct fw *fw, uint32_t addr, uint32_t mask)
{
    fw->addr = addr;
    fw->mask = mask;
}

const struct fw_stats *fw_stats(const struct fw *fw) { return &fw->st; }
const struct config_firewall *fw_config(const struct fw *fw) { return fw->cfg; }
void fw_expire(struct fw *fw, uint64_t now_ms) { track_reap(fw, now_ms); }

static int icmp_is_error(uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }

/* The IPv4 header an ICMP error quotes (RFC 792: its header and the first
 * 8 bytes of its payload, enough for the ports). */
static int parse_inner(const uint8_t *q, size_t n, struct fw_pkt *p)
{
    if (n < 28 || (q[0] >> 4) != 4)
        return -1;
    size_t ihl = (size_t)(q[0] & 15) * 4;
    if (ihl < 20 || n < ihl + 8)
        return -1;
    p->inner.proto = q[9];
    p->inner.src = be32(q + 12);
    p->inner.dst = be32(q + 16);
    const uint8_t *l4 = q + ihl;
    if (q[9] == P_TCP || q[9] == P_UDP) {
        p->inner.sport = be16(l4);
        p->inner.dport = be16(l4 + 2);
    } else if (q[9] == P_ICMP && (l4[0] == ICMP_ECHO || l4[0] == ICMP_ECHO_REPLY)) {
        p->inner.sport = be16(l4 + 4);          /* echo identifier */
    }
    p->has_inner = 1;
    return 0;
}

/* Valid TCP flag sets (RFC 9293 section 3.10): an opening SYN, a SYN-ACK,
 * an RST (with or without ACK), or anything else carrying ACK. */
static int tcp_flags_ok(uint8_t f)
{
    if (f & 0x02)
        return !(f & 0x05);                     /* SYN without FIN or RST */
    if (f & 0x04)
        return !(f & 0x01);
    return (f & 0x10) != 0;
}

static enum fw_reason parse_tcp(const uint8_t *t, size_t len, size_t cap, struct fw_pkt *p)
{
    if (len < 20 || cap < 20)
        return FW_DROP_TCP_HEADER;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || doff > len || doff > cap)
        return FW_DROP_TCP_HEADER;
    p->sport = be16(t);
    p->dport = be16(t + 2);
    if (!p->sport || !p->dport)
        return FW_DROP_TCP_HEADER;
    p->seq = be32(t + 4);
    p->ack = be32(t + 8);
    p->tcp_flags = t[13];
    p->win = be16(t + 14);
    if (!tcp_flags_ok(p->tcp_flags))
        return FW_DROP_TCP_FLAGS;
    p->seglen = (uint32_t)(len - doff) + ((p->tcp_flags & 0x02) != 0) + (p->tcp_flags & 0x01);
    if (p->tcp_flags & 0x02) {                  /* window scale option, RFC 7323 section 2.2 */
        for (size_t i = 20; i < doff;) {
            uint8_t kind = t[i];
            if (kind == 0)
                break;
            if (kind == 1) {
                i++;
                continue;
            }
            if (i + 1 >= doff || t[i + 1] < 2 || i + t[i + 1] > doff)
                return FW_DROP_TCP_HEADER;
            if (kind == 3 && t[i + 1] == 3)
                p->wscale = t[i + 2];
            i += t[i + 1];
        }
    }
    return FW_PASS_NEW;
}

static enum fw_reason parse_l4(const uint8_t *l4, size_t len, size_t cap, struct fw_pkt *p)
{
    switch (p->proto) {
    case P_TCP:
        return parse_tcp(l4, len, cap, p);
    case P_UDP:
        if (len < 8 || cap < 8 || be16(l4 + 4) < 8 || be16(l4 + 4) > len)
            return FW_DROP_UDP_HEADER;
        p->sport = be16(l4);
        p->dport = be16(l4 + 2);
        return p->sport && p->dport ? FW_PASS_NEW : FW_DROP_UDP_HEADER;
    case P_ICMP:
        if (len < 8 || cap < 8)
            return FW_DROP_ICMP_HEADER;
        p->icmp_type = l4[0];
        p->icmp_code = l4[1];
        if (p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_ECHO_REPLY)
            p->sport = be16(l4 + 4);
        else if (icmp_is_error(p->icmp_type) &&
                 parse_inner(l4 + 8, (len < cap ? len : cap) - 8, p) < 0)
            return FW_DROP_ICMP_HEADER;
        return FW_PASS_NEW;
    default:
        return FW_PASS_NEW;
    }
}

/* RFC 1071 over the 20-byte header: 0 when the checksum is right. */
static uint16_t ip_sum(const uint8_t *h)
{
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += be16(h + i);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static int martian(const struct fw *fw, uint32_t src, uint32_t dst)
{
    uint8_t a = (uint8_t)(src >> 24);
    return a == 0 || a == 127 || a >= 224 || src == dst || (fw->addr && src == fw->addr);
}

/* FW_PASS_NEW here means "a well-formed IPv4 packet, go on". */
static enum fw_reason parse(const struct fw *fw, enum fw_dir dir, const uint8_t *f, size_t cap,
                            size_t len, struct fw_pkt *p)
{
    if (cap > len)
        cap = len;
    if (len < 14 || cap < 14)
        return FW_DROP_RUNT;
    p->ethertype = be16(f + 12);
    if (p->ethertype == ETH_ARP)
        return FW_PASS_ARP;
    if (p->ethertype != ETH_IPV4)
        return FW_DROP_NOT_IPV4;
    const uint8_t *ip = f + 14;
    if (cap < 14 + 20)
        return FW_DROP_RUNT;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || (ip[6] & 0x80))
        return FW_DROP_IP_HEADER;
    size_t tot = be16(ip + 2);
    if (tot < ihl || tot > len - 14)
        return FW_DROP_IP_LENGTH;
    p->proto = ip[9];
    p->src = be32(ip + 12);
    p->dst = be32(ip + 16);
    p->ip_len = (uint16_t)tot;
    if (ihl > 20)
        return FW_DROP_IP_OPTIONS;
    if (dir == FW_IN && ip_sum(ip))
        return FW_DROP_IP_CHECKSUM;
    if (be16(ip + 6) & 0x3fff)                  /* MF or a fragment offset */
        return FW_DROP_FRAGMENT;
    if (dir == FW_IN) {
        if (martian(fw, p->src, p->dst))
            return FW_DROP_SOURCE;
        if (fw->addr && p->dst != fw->addr && p->dst != BCAST && p->dst != (fw->addr | ~fw->mask))
            return FW_DROP_NOT_LOCAL;
    }
    return parse_l4(ip + 20, tot - 20, cap - 34, p);
}

static const struct fw_rule_c *rule_allows(const struct fw_rule_c *r, const struct fw_pkt *p,
                                           uint32_t peer)
{
    if (r->proto != CONFIG_PROTO_ALL && r->proto != p->proto)
        return NULL;
    if ((peer & r->mask) != r->net)
        return NULL;
    if (r->proto == P_TCP || r->proto == P_UDP)
        return p->dport >= r->lo && p->dport <= r->hi ? r : NULL;
    if (r->proto == P_ICMP)
        return (r->itype == CONFIG_ICMP_ANY || r->itype == p->icmp_type) &&
               (r->icode == CONFIG_ICMP_ANY || r->icode == p->icmp_code) ? r : NULL;
    return r;
}

/* Index of the first rule of dir allowing p, or -1. Inbound rules name the
 * source and our port; outbound rules the destination and its port. */
static int match(const struct fw *fw, enum fw_dir dir, const struct fw_pkt *p)
{
    uint32_t peer = dir == FW_IN ? p->src : p->dst;
    for (unsigned i = 0; i < fw->nrules[dir]; i++)
        if (rule_allows(&fw->rules[dir][i], p, peer))
            return (int)i;
    return -1;
}

static void key_of(const struct fw *fw, enum fw_dir dir, const struct fw_pkt *p, struct fw_key *k)
{
    k->proto = p->proto;
    k->local = dir == FW_IN ? p->dst : p->src;
    k->remote = dir == FW_IN ? p->src : p->dst;
    if (p->proto == P_ICMP) {
        k->lport = p->sport;                    /* echo identifier */
        k->rport = 0;
    } else if (p->proto == P_TCP || p->proto == P_UDP) {
        k->lport = dir == FW_IN ? p->dport : p->sport;
        k->rport = dir == FW_IN ? p->sport : p->dport;
    } else {
        k->lport = k->rport = 0;
    }
    /* A datagram to the limited broadcast address (a DHCP request) is
     * answered from a unicast address not known yet: such flows are kept
     * under the broadcast address with no local one (docs/firewall.md). */
    if (dir == FW_OUT && p->dst == BCAST && p->proto == P_UDP)
        k->local = 0;
    /* A datagram we received on a broadcast address is answered from our
     * own: key it there, so the answer is its reply. */
    if (dir == FW_IN && fw->addr && (p->dst == BCAST || p->dst == (fw->addr | ~fw->mask)))
        k->local = fw->addr;
}

/* The flow an ICMP error is about: the quoted packet was sent by whoever
 * the error is addressed to. */
static struct fw_flow *related(struct fw *fw, enum fw_dir dir, const struct fw_pkt *p)
{
    struct fw_key k = { .proto = p->inner.proto };
    if (dir == FW_IN) {
        if (p->dst != p->inner.src)
            return NULL;
        k.local = p->inner.src;
        k.remote = p->inner.dst;
        k.lport = p->inner.sport;
        k.rport = p->inner.dport;
    } else {
        if (p->src != p->inner.dst || p->dst != p->inner.src)
            return NULL;
        k.local = p->inner.dst;
        k.remote = p->inner.src;
        k.lport = p->inner.dport;
        k.rport = p->inner.sport;
    }
    if (k.proto == P_ICMP) {
        k.lport = p->inner.sport;               /* the echo identifier, either way */
        k.rport = 0;
    } else if (k.proto != P_TCP && k.proto != P_UDP)
        k.lport = k.rport = 0;
    return track_find(fw, &k);
}

static enum fw_class first_class(uint8_t proto)
{
    return proto == P_TCP ? FWC_TCP_OPEN : proto == P_UDP ? FWC_UDP : FWC_OTHER;
}

/* A packet of a tracked UDP, ICMP echo or other flow: 1 if it belongs
 * (for ICMP, the echo's direction must fit the flow's). */
static int track_simple(struct fw *fw, struct fw_flow *f, int s, const struct fw_pkt *p, uint64_t now)
{
    enum fw_class cls = f->cls;
    if (p->proto == P_ICMP) {
        if (p->icmp_type != (s == FW_SIDE_ORIG ? ICMP_ECHO : ICMP_ECHO_REPLY))
            return 0;
    } else if (p->proto == P_UDP) {
        /* AWS: a stream is a flow with more than one request-response
         * transaction, i.e. the sender changed at least three times. */
        if (s != f->last_side && f->turns < 0xffff)
            f->turns++;
        f->last_side = (uint8_t)s;
        if (f->turns >= 3)
            cls = FWC_UDP_STREAM;
    }
    track_touch(fw, f, cls, now);
    return 1;
}

static enum fw_reason credit(struct fw *fw, const struct fw_flow *f, struct fw_pkt *p,
                             enum fw_reason r)
{
    p->rule = f->rule;
    p->rule_dir = f->orig;
    struct fw_rule_count *c = &fw->st.rule[f->orig][f->rule];
    c->packets++;
    c->bytes += p->ip_len;
    return r;
}

static enum fw_reason decide(struct fw *fw, enum fw_dir dir, struct fw_pkt *p, uint64_t now)
{
    track_reap(fw, now);
    if (p->proto == P_ICMP && p->has_inner) {
        struct fw_flow *f = related(fw, dir, p);
        if (f)
            return credit(fw, f, p, FW_PASS_RELATED);
    }
    int tracked = p->proto != P_ICMP || p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_ECHO_REPLY;
    struct fw_key k;
    key_of(fw, dir, p, &k);
    int clash = 0;                              /* a flow with this key exists */
    if (tracked) {
        struct fw_flow *f = track_find(fw, &k);
        if (!f && dir == FW_IN && p->proto == P_UDP) {
            struct fw_key b = k;
            b.local = 0;
            b.remote = BCAST;
            /* An answer to our broadcast passes, but only our own
             * broadcasts keep that flow alive: the hole closes a timeout
             * after the last one whatever the peers send. */
            struct fw_flow *bf = track_find(fw, &b);
            if (bf)
                return credit(fw, bf, p, FW_PASS_TRACKED);
        }
        if (f) {
            int s = dir == f->orig ? FW_SIDE_ORIG : FW_SIDE_REPLY;
            if (p->proto == P_TCP) {
                int r = track_tcp(fw, f, s, p, now);
                if (r >= 0)
                    return fw_passes((enum fw_reason)r) ? credit(fw, f, p, (enum fw_reason)r)
                                                        : (enum fw_reason)r;
                track_free(fw, f);              /* reused ports: a new connection */
            } else if (track_simple(fw, f, s, p, now)) {
                return credit(fw, f, p, FW_PASS_TRACKED);
            } else {
                clash = 1;                      /* an echo the wrong way round */
            }
        }
    }
    int rule = match(fw, dir, p);
    if (rule < 0)
        return FW_DROP_NO_RULE;
    p->rule = rule;
    p->rule_dir = (uint8_t)dir;
    if (p->proto == P_TCP && (p->tcp_flags & 0x12) != 0x02)
        return FW_DROP_TCP_NO_FLOW;
    if (!tracked || clash || (p->proto == P_ICMP && p->icmp_type != ICMP_ECHO)) {
        struct fw_rule_count *c = &fw->st.rule[dir][rule];
        c->packets++;
        c->bytes += p->ip_len;
        return FW_PASS_STATELESS;
    }
    struct fw_flow *f = track_new(fw, &k, first_class(p->proto), now);
    if (!f)
        return FW_DROP_TABLE_FULL;
    f->orig = (uint8_t)dir;
    f->rule = (uint8_t)rule;
    if (p->proto == P_TCP)
        track_tcp_open(f, p);
    return credit(fw, f, p, FW_PASS_NEW);
}

enum fw_reason fw_filter(struct fw *fw, enum fw_dir dir, const uint8_t *frame, size_t caplen,
                         size_t len, uint64_t now_ms, struct fw_pkt *pkt)
{
    struct fw_pkt local;
    struct fw_pkt *p = pkt ? pkt : &local;
    memset(p, 0, sizeof *p);
    p->dir = (uint8_t)dir;
    p->rule = -1;
    p->wscale = 0xff;
    enum fw_reason r = parse(fw, dir, frame, caplen, len, p);
    if (r == FW_PASS_NEW)
        r = decide(fw, dir, p, now_ms);
    fw->st.count[dir][r]++;
    return r;
}
