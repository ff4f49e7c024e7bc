/* Unit tests of the firewall (net/fw.c, fw_track.c, fw_show.c): rule
 * matching tables, every TCP tracking transition, timeouts with a fake
 * clock, a full table, related ICMP errors, broadcast DHCP, malformed
 * packets, counters and text. Frames are built byte by byte here. */
#include <stdlib.h>

#include "net/fw_table.h"
#include "tests/unit/check.h"
#include "tests/unit/fw_frames.h"

static uint8_t fr[2048];

static size_t mk(const struct pk *k)
{
    memset(fr, 0, 14);
    fr[12] = 0x08;
    return 14 + mk_ip(k, fr + 14);
}

static struct config_firewall cfg;
static struct fw *fw;
static void *mem;
static uint64_t now;

static void rule(int out, uint16_t proto, uint16_t lo, uint16_t hi, uint16_t it, uint16_t ic,
                 uint32_t peer, uint8_t prefix)
{
    struct config_fw_rule *r = out ? &cfg.out[cfg.nout++] : &cfg.in[cfg.nin++];
    memset(r, 0, sizeof *r);
    r->proto = proto;
    r->port_lo = lo;
    r->port_hi = hi;
    r->icmp_type = it;
    r->icmp_code = ic;
    put32(r->peer, peer);
    r->prefix = prefix;
    r->desc = "";
    r->line = (uint32_t)(out ? 100 : 0) + (out ? cfg.nout : cfg.nin);
}

static void fresh_cfg(void)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.flows = 4096;
    cfg.tcp_established = 432000;
    cfg.udp = 30;
    cfg.udp_stream = 180;
    cfg.other = 600;
}

static void start(uint32_t flows)
{
    free(mem);
    size_t sz = fw_mem_size(flows);
    mem = malloc(sz);
    fw = fw_init(mem, sz, &cfg, flows, 12345);
    fw_set_address(fw, US, 0xffffff00u);
    now = 1000;
}

static struct fw_pkt last;
static enum fw_reason in(const struct pk *k) { size_t n = mk(k); return fw_filter(fw, FW_IN, fr, n, n, now, &last); }
static enum fw_reason out(const struct pk *k) { size_t n = mk(k); return fw_filter(fw, FW_OUT, fr, n, n, now, &last); }

static struct pk tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags,
                     uint32_t seq, uint32_t ack)
{
    return (struct pk){ .proto = 6, .src = src, .dst = dst, .sport = sport, .dport = dport,
                        .flags = flags, .seq = seq, .ack = ack };
}
static struct pk udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
    return (struct pk){ .proto = 17, .src = src, .dst = dst, .sport = sport, .dport = dport, .payload = 10 };
}
static struct pk icmp(uint32_t src, uint32_t dst, uint8_t t, uint8_t c, uint16_t id)
{
    return (struct pk){ .proto = 1, .src = src, .dst = dst, .itype = t, .icode = c, .id = id };
}

static struct fw_flow *flow_of(uint32_t remote, uint16_t rport, uint16_t lport)
{
    struct fw_key k = { .local = US, .remote = remote, .lport = lport, .rport = rport, .proto = 6 };
    return track_find(fw, &k);
}

/* ---- rule matching ---- */

static void test_rules(void)
{
    fresh_cfg();
    rule(0, 6, 443, 443, 256, 256, 0, 0);                       /* 0 tcp 443 any */
    rule(0, 6, 8000, 8100, 256, 256, IP(10, 0, 0, 0), 8);       /* 1 tcp range from 10/8 */
    rule(0, 17, 53, 53, 256, 256, IP(192, 0, 2, 0), 24);        /* 2 udp 53 from 192.0.2/24 */
    rule(0, 1, 0, 0, 8, 256, 0, 0);                             /* 3 echo-request */
    rule(0, 1, 0, 0, 3, 4, 0, 0);                               /* 4 fragmentation-needed */
    rule(0, 47, 0, 0, 256, 256, IP(198, 51, 100, 7), 32);       /* 5 GRE from one host */
    rule(0, CONFIG_PROTO_ALL, 0, 0, 256, 256, IP(203, 0, 113, 0), 24); /* 6 all */
    rule(0, 1, 0, 0, 13, 256, IP(100, 64, 0, 0), 10);           /* 7 timestamp, any code */
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    start(4096);
    static const struct { struct pk k; enum fw_reason want; int rule; } t[] = {
        { { 6, IP(1, 2, 3, 4), US, 1000, 443, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 0 },
        { { 6, IP(1, 2, 3, 4), US, 1001, 444, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(1, 2, 3, 4), US, 1002, 442, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(10, 1, 2, 3), US, 1000, 8000, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 1 },
        { { 6, IP(10, 255, 255, 254), US, 1000, 8100, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 1 },
        { { 6, IP(10, 1, 2, 3), US, 1000, 8101, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(10, 1, 2, 3), US, 1000, 7999, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(11, 0, 0, 1), US, 1000, 8050, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(9, 255, 255, 255), US, 1000, 8050, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 17, IP(192, 0, 2, 77), US, 5000, 53, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 2 },
        { { 17, IP(192, 0, 3, 1), US, 5000, 53, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(192, 0, 2, 77), US, 5000, 53, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 17, IP(192, 0, 2, 77), US, 5000, 54, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 1, IP(8, 8, 8, 8), US, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 77, 0, 0 }, FW_PASS_NEW, 3 },
        { { 1, IP(8, 8, 8, 8), US, 0, 0, 0, 0, 0, 0, 0, 0, 8, 5, 78, 0, 0 }, FW_PASS_NEW, 3 },
        { { 1, IP(8, 8, 8, 8), US, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 79, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 1, IP(8, 8, 8, 8), US, 0, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 1, IP(100, 100, 1, 1), US, 0, 0, 0, 0, 0, 0, 0, 0, 13, 9, 0, 0, 0 }, FW_PASS_STATELESS, 7 },
        { { 1, IP(100, 128, 0, 1), US, 0, 0, 0, 0, 0, 0, 0, 0, 13, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 47, IP(198, 51, 100, 7), US, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 5 },
        { { 47, IP(198, 51, 100, 8), US, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 50, IP(198, 51, 100, 7), US, 0, 0, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0 }, FW_DROP_NO_RULE, -1 },
        { { 6, IP(203, 0, 113, 9), US, 1000, 22, SYN, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 6 },
        { { 17, IP(203, 0, 113, 9), US, 1000, 9999, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 6 },
        { { 1, IP(203, 0, 113, 9), US, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0 }, FW_PASS_STATELESS, 6 },
        { { 50, IP(203, 0, 113, 255), US, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0 }, FW_PASS_NEW, 6 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        enum fw_reason r = in(&t[i].k);
        CHECK_U64(r, t[i].want);
        CHECK_I64(last.rule, t[i].rule);
        if (r != t[i].want)
            fprintf(stderr, "  row %u\n", i);
    }
    /* The ICMP wildcard on code, and fragmentation-needed (3:4) only. */
    struct pk k = icmp(IP(5, 5, 5, 5), US, 3, 4, 0);
    static const uint8_t q[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10, 5, 5, 5, 5, 0, 1, 0, 2, 0, 8, 0, 0 };
    k.inner = q;
    k.inner_len = sizeof q;
    CHECK_U64(in(&k), FW_PASS_STATELESS);
    k.icode = 3;
    CHECK_U64(in(&k), FW_DROP_NO_RULE);

    /* Outbound rules name the destination and its port. */
    fresh_cfg();
    rule(1, 6, 443, 443, 256, 256, IP(198, 51, 100, 0), 24);
    rule(1, 17, 123, 123, 256, 256, 0, 0);
    start(4096);
    struct pk o = tcp(US, 40000, IP(198, 51, 100, 20), 443, SYN, 1, 0);
    CHECK_U64(out(&o), FW_PASS_NEW);
    CHECK_I64(last.rule, 0);
    o = tcp(US, 40001, IP(198, 51, 101, 20), 443, SYN, 1, 0);
    CHECK_U64(out(&o), FW_DROP_NO_RULE);
    o = tcp(US, 443, IP(198, 51, 100, 20), 40001, SYN, 1, 0);
    CHECK_U64(out(&o), FW_DROP_NO_RULE);          /* the source port does not count */
    struct pk u = udp(US, 5555, IP(1, 1, 1, 1), 123);
    CHECK_U64(out(&u), FW_PASS_NEW);
    CHECK_I64(last.rule, 1);
    u.dport = 53;
    CHECK_U64(out(&u), FW_DROP_NO_RULE);
    /* No inbound rule: nothing comes in. */
    struct pk s = tcp(IP(1, 2, 3, 4), 1000, US, 443, SYN, 1, 0);
    CHECK_U64(in(&s), FW_DROP_NO_RULE);
}

/* ---- TCP ---- */

/* An inbound connection to port 443 through the handshake. */
static void handshake(uint32_t peer, uint16_t pport, int wscale)
{
    struct pk k = tcp(peer, pport, US, 443, SYN, 1000, 0);
    k.wscale = wscale;
    CHECK_U64(in(&k), FW_PASS_NEW);
    k = tcp(US, 443, peer, pport, SYN | ACK, 5000, 1001);
    k.wscale = wscale;
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(peer, pport, US, 443, ACK, 1001, 5001);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
}

static void tcp_cfg(void)
{
    fresh_cfg();
    rule(0, 6, 443, 443, 256, 256, 0, 0);
    rule(1, 17, 123, 123, 256, 256, 0, 0);       /* outbound forbids TCP: replies pass anyway */
    start(4096);
}

static void test_tcp(void)
{
    uint32_t P = IP(203, 0, 113, 5);
    tcp_cfg();
    struct pk k = tcp(P, 1234, US, 443, SYN, 1000, 0);
    CHECK_U64(in(&k), FW_PASS_NEW);
    struct fw_flow *f = flow_of(P, 1234, 443);
    CHECK(f && f->state == TCP_SYN_SENT && f->cls == FWC_TCP_OPEN && f->orig == FW_IN);
    CHECK_U64(in(&k), FW_PASS_TRACKED);                       /* retransmitted SYN */
    k = tcp(P, 1234, US, 443, ACK, 1001, 5001);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);                     /* ACK before the SYN-ACK */
    k = tcp(US, 443, P, 1234, SYN | ACK, 5000, 999);
    CHECK_U64(out(&k), FW_DROP_TCP_STATE);                    /* does not acknowledge the SYN */
    k = tcp(P, 1234, US, 443, SYN | ACK, 5000, 1001);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);                     /* SYN-ACK from the opener */
    k = tcp(US, 443, P, 1234, SYN | ACK, 5000, 1001);
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    CHECK(f->state == TCP_SYN_RECV);
    CHECK_U64(out(&k), FW_PASS_TRACKED);                      /* retransmitted SYN-ACK */
    k = tcp(P, 1234, US, 443, ACK | PSH, 1001, 5001);
    k.payload = 100;
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    CHECK(f->state == TCP_EST && f->cls == FWC_TCP_EST);
    k = tcp(US, 443, P, 1234, ACK, 5001, 1101);
    k.payload = 1000;
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(US, 443, P, 1234, SYN, 7, 0);
    CHECK_U64(out(&k), FW_DROP_TCP_STATE);                    /* a SYN from the answering side */
    k = tcp(P, 1234, US, 443, SYN, 99999, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);                       /* endpoint challenge-ACKs it */
    CHECK(f->state == TCP_EST);
    /* Close: FIN from each side, then the same ports open again. */
    k = tcp(P, 1234, US, 443, FIN | ACK, 1101, 6001);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    CHECK(f->state == TCP_FIN && f->fin == 1 && f->cls == FWC_TCP_CLOSING);
    k = tcp(P, 1234, US, 443, SYN, 50000, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);                       /* one FIN only: not reopened */
    k = tcp(US, 443, P, 1234, FIN | ACK, 6001, 1102);
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    CHECK(f->fin == 3 && f->cls == FWC_TCP_DONE);
    k = tcp(P, 1234, US, 443, ACK, 1102, 6002);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    k = tcp(P, 1234, US, 443, SYN, 90000, 0);
    CHECK_U64(in(&k), FW_PASS_NEW);                           /* reused after both FINs */
    f = flow_of(P, 1234, 443);
    CHECK(f && f->state == TCP_SYN_SENT && f->end[0] == 90001);
    CHECK_U64(fw_stats(fw)->flows_now, 1);

    /* RST: a peer refusing our SYN must acknowledge it. */
    fresh_cfg();
    rule(1, 6, 5000, 5000, 256, 256, 0, 0);
    start(4096);
    k = tcp(US, 6000, P, 5000, SYN, 100, 0);
    CHECK_U64(out(&k), FW_PASS_NEW);
    k = tcp(P, 5000, US, 6000, RST | ACK, 0, 1234);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    k = tcp(P, 5000, US, 6000, RST, 0, 101);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);                     /* no ACK flag */
    k = tcp(P, 5000, US, 6000, RST | ACK, 0, 101);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    f = flow_of(P, 5000, 6000);
    CHECK(f && f->state == TCP_CLOSED && f->cls == FWC_TCP_CLOSED);
    k = tcp(US, 6000, P, 5000, SYN, 300, 0);
    CHECK_U64(out(&k), FW_PASS_NEW);                          /* a new try after the RST */
    CHECK_U64(fw_stats(fw)->flows_now, 1);
    /* Our stack's RST refusing an inbound SYN (nothing listens). */
    tcp_cfg();
    k = tcp(P, 2000, US, 443, SYN, 1000, 0);
    CHECK_U64(in(&k), FW_PASS_NEW);
    k = tcp(US, 443, P, 2000, RST | ACK, 0, 1001);
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    CHECK(flow_of(P, 2000, 443)->state == TCP_CLOSED);

    /* RST in an established flow: only within the window. */
    tcp_cfg();
    handshake(P, 3000, 0);
    f = flow_of(P, 3000, 443);
    k = tcp(P, 3000, US, 443, RST, 1001 + 70000, 0);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    k = tcp(P, 3000, US, 443, RST, 1001 - 70000, 0);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    CHECK(f->state == TCP_EST);
    k = tcp(P, 3000, US, 443, RST, 1001 + 60000, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    CHECK(f->state == TCP_CLOSED && f->rst_side == FW_SIDE_ORIG);
    k = tcp(US, 443, P, 3000, ACK, 5001, 1001);
    CHECK_U64(out(&k), FW_PASS_TRACKED);                      /* the challenge ACK */
    CHECK(f->state == TCP_CLOSED);
    k = tcp(P, 3000, US, 443, ACK, 1001, 5001);
    CHECK_U64(in(&k), FW_PASS_TRACKED);                       /* the sender of the RST lives on */
    CHECK(f->state == TCP_EST);
    CHECK_U64(fw_stats(fw)->flows_closed, 1);

    /* Window scaling widens the RST window once both SYNs carry it. */
    tcp_cfg();
    handshake(P, 4000, 8);                                    /* scale 7 */
    k = tcp(US, 443, P, 4000, ACK, 5001, 1001);
    k.win = 1000;                                             /* 1000 << 7 = 128000 */
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(P, 4000, US, 443, RST, 1001 + 100000, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    tcp_cfg();
    handshake(P, 4001, 0);
    k = tcp(US, 443, P, 4001, ACK, 5001, 1001);
    k.win = 1000;
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(P, 4001, US, 443, RST, 1001 + 100000, 0);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);

    /* Simultaneous open (RFC 9293 figure 8) on an outbound flow. */
    fresh_cfg();
    rule(1, 6, 5000, 5000, 256, 256, 0, 0);
    start(4096);
    k = tcp(US, 6000, P, 5000, SYN, 100, 0);
    CHECK_U64(out(&k), FW_PASS_NEW);
    k = tcp(P, 5000, US, 6000, SYN, 300, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    f = flow_of(P, 5000, 6000);
    CHECK(f && f->state == TCP_SYN_RECV && f->orig == FW_OUT);

    /* Without a flow: only an opening SYN starts one. */
    tcp_cfg();
    k = tcp(P, 5000, US, 443, ACK, 1, 1);
    CHECK_U64(in(&k), FW_DROP_TCP_NO_FLOW);
    k = tcp(P, 5000, US, 443, RST, 1, 0);
    CHECK_U64(in(&k), FW_DROP_TCP_NO_FLOW);
    k = tcp(P, 5000, US, 443, SYN | ACK, 1, 1);
    CHECK_U64(in(&k), FW_DROP_TCP_NO_FLOW);
    k = tcp(P, 5000, US, 22, ACK, 1, 1);
    CHECK_U64(in(&k), FW_DROP_NO_RULE);
    k = tcp(US, 443, P, 5000, SYN | ACK, 1, 1);
    CHECK_U64(out(&k), FW_DROP_NO_RULE);                      /* outbound allows only udp 123 */
    CHECK_U64(fw_stats(fw)->flows_now, 0);
}

/* Windows: what a blind attacker who knows the ports cannot do. */
static void test_tcp_windows(void)
{
    uint32_t P = IP(203, 0, 113, 6);
    tcp_cfg();
    /* An opener that acknowledges something other than the SYN-ACK does
     * not get an established flow (it would outlive its connection). */
    struct pk k = tcp(P, 100, US, 443, SYN, 1000, 0);
    CHECK_U64(in(&k), FW_PASS_NEW);
    k = tcp(US, 443, P, 100, SYN | ACK, 5000, 1001);
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(P, 100, US, 443, ACK, 1001, 777777);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    k = tcp(P, 100, US, 443, FIN | ACK, 1001, 777777);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    struct fw_flow *f = flow_of(P, 100, 443);
    CHECK(f && f->state == TCP_SYN_RECV && f->cls == FWC_TCP_OPEN);
    /* Our own stack's RST ends it whatever its sequence number. */
    k = tcp(US, 443, P, 100, RST, 777777, 0);
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    CHECK(f->state == TCP_CLOSED);

    handshake(P, 200, 0);
    f = flow_of(P, 200, 443);
    k = tcp(P, 200, US, 443, ACK, 1001 + 100000, 5001);       /* sequence out of window */
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    k = tcp(P, 200, US, 443, FIN | ACK, 1001 - 100000, 5001);
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    k = tcp(P, 200, US, 443, ACK, 1001, 5002);                /* acknowledges data never sent */
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    k = tcp(P, 200, US, 443, ACK, 1001, 5001 - 70000);        /* acknowledges too far back */
    CHECK_U64(in(&k), FW_DROP_TCP_STATE);
    CHECK(f->state == TCP_EST && f->end[FW_SIDE_ORIG] == 1001 && !f->fin);
    k = tcp(P, 200, US, 443, ACK, 1001 + 30000, 5001);        /* within the window: passes */
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    CHECK(f->end[FW_SIDE_ORIG] == 31001);
    k = tcp(P, 200, US, 443, ACK, 1001, 5001);                /* a retransmission behind it */
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    CHECK(f->end[FW_SIDE_ORIG] == 31001);
    /* A SYN inside the connection moves nothing. */
    k = tcp(P, 200, US, 443, SYN, 4000000000u, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    CHECK(f->end[FW_SIDE_ORIG] == 31001 && f->state == TCP_EST);
    /* Sequence numbers wrap. */
    tcp_cfg();
    k = tcp(P, 300, US, 443, SYN, 0xffffff00u, 0);
    CHECK_U64(in(&k), FW_PASS_NEW);
    k = tcp(US, 443, P, 300, SYN | ACK, 0xfffffff0u, 0xffffff01u);
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(P, 300, US, 443, ACK, 0xffffff01u, 0xfffffff1u);
    k.payload = 1000;
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    k = tcp(US, 443, P, 300, ACK, 0xfffffff1u, 0xffffff01u + 1000);
    k.payload = 100;
    CHECK_U64(out(&k), FW_PASS_TRACKED);
    k = tcp(P, 300, US, 443, ACK, 0xffffff01u + 1000, 0xfffffff1u + 100);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    f = flow_of(P, 300, 443);
    CHECK(f && f->state == TCP_EST && f->end[FW_SIDE_ORIG] == 0x2e9 && f->end[FW_SIDE_REPLY] == 0x55);
}

/* ---- timeouts ---- */

static void test_timeouts(void)
{
    uint32_t P = IP(203, 0, 113, 5);
    fresh_cfg();
    cfg.tcp_established = 3600;
    rule(0, 6, 443, 443, 256, 256, 0, 0);
    rule(0, 17, 53, 53, 256, 256, 0, 0);
    rule(0, 1, 0, 0, 8, 256, 0, 0);
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    start(4096);
    handshake(P, 1, 0);
    struct pk k = tcp(P, 1, US, 443, ACK, 1001, 5001);
    now += 3600 * 1000 - 1;
    CHECK_U64(in(&k), FW_PASS_TRACKED);                       /* refreshed */
    now += 3600 * 1000 - 1;
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    now += 3600 * 1000;
    CHECK_U64(in(&k), FW_DROP_TCP_NO_FLOW);                   /* idle an hour: gone */
    CHECK_U64(fw_stats(fw)->flows_expired, 1);

    /* Half-open: 60 s. */
    k = tcp(P, 2, US, 443, SYN, 1, 0);
    CHECK_U64(in(&k), FW_PASS_NEW);
    now += 59999;
    CHECK(flow_of(P, 2, 443) != NULL);
    fw_expire(fw, now);
    CHECK(flow_of(P, 2, 443) != NULL);
    now += 1;
    fw_expire(fw, now);
    CHECK(flow_of(P, 2, 443) == NULL);

    /* Closing: 120 s after the last packet; after an RST: 10 s. */
    handshake(P, 3, 0);
    k = tcp(P, 3, US, 443, FIN | ACK, 1001, 5001);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    now += 119999;
    fw_expire(fw, now);
    CHECK(flow_of(P, 3, 443) != NULL);
    now += 1;
    fw_expire(fw, now);
    CHECK(flow_of(P, 3, 443) == NULL);
    handshake(P, 4, 0);
    k = tcp(P, 4, US, 443, RST, 1001, 0);
    CHECK_U64(in(&k), FW_PASS_TRACKED);
    now += 9999;
    fw_expire(fw, now);
    CHECK(flow_of(P, 4, 443) != NULL);
    now += 1;
    fw_expire(fw, now);
    CHECK(flow_of(P, 4, 443) == NULL);

    /* UDP: 30 s for one exchange, 180 s once it is a stream. */
    struct pk q = udp(P, 5353, US, 53), a = udp(US, 53, P, 5353);
    CHECK_U64(in(&q), FW_PASS_NEW);
    CHECK_U64(out(&a), FW_PASS_TRACKED);
    now += 29999;
    CHECK_U64(out(&a), FW_PASS_TRACKED);                      /* refreshes: still one exchange */
    now += 30000;
    CHECK_U64(out(&a), FW_PASS_NEW);      /* expired; outbound allows all: a flow of its own */
    fresh_cfg();
    rule(0, 17, 53, 53, 256, 256, 0, 0);
    rule(1, 6, 443, 443, 256, 256, 0, 0);
    start(4096);
    CHECK_U64(in(&q), FW_PASS_NEW);
    CHECK_U64(out(&a), FW_PASS_TRACKED);
    now += 30000;
    CHECK_U64(out(&a), FW_DROP_NO_RULE);                      /* 30 s after one exchange */
    CHECK_U64(in(&q), FW_PASS_NEW);
    CHECK_U64(out(&a), FW_PASS_TRACKED);
    CHECK_U64(in(&q), FW_PASS_TRACKED);
    CHECK_U64(out(&a), FW_PASS_TRACKED);                      /* two exchanges: a stream */
    struct fw_key uk = { .local = US, .remote = P, .lport = 53, .rport = 5353, .proto = 17 };
    CHECK(track_find(fw, &uk) && track_find(fw, &uk)->cls == FWC_UDP_STREAM);
    now += 179999;
    CHECK_U64(out(&a), FW_PASS_TRACKED);
    now += 180000;
    CHECK_U64(out(&a), FW_DROP_NO_RULE);

    /* ICMP echo: other-timeout (600 s). */
    fresh_cfg();
    rule(0, 1, 0, 0, 8, 256, 0, 0);
    rule(1, 6, 443, 443, 256, 256, 0, 0);
    start(4096);
    struct pk e = icmp(P, US, 8, 0, 42), r = icmp(US, P, 0, 0, 42);
    CHECK_U64(in(&e), FW_PASS_NEW);
    CHECK_U64(out(&r), FW_PASS_TRACKED);
    r.id = 43;
    CHECK_U64(out(&r), FW_DROP_NO_RULE);                      /* another identifier */
    r.id = 42;
    struct pk rq = icmp(US, P, 8, 0, 42);
    CHECK_U64(out(&rq), FW_DROP_NO_RULE);                     /* a request the wrong way */
    now += 599999;
    CHECK_U64(out(&r), FW_PASS_TRACKED);
    now += 600000;
    CHECK_U64(out(&r), FW_DROP_NO_RULE);
}

/* ---- a full table ---- */

static void test_table_full(void)
{
    fresh_cfg();
    rule(0, 6, 443, 443, 256, 256, 0, 0);
    rule(0, 17, 53, 53, 256, 256, 0, 0);
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    start(64);
    for (unsigned i = 0; i < 64; i++)
        handshake(IP(198, 51, 100, 1), (uint16_t)(1000 + i), 0);
    CHECK_U64(fw_stats(fw)->flows_now, 64);
    struct pk k = tcp(IP(198, 51, 100, 2), 9, US, 443, SYN, 1, 0);
    CHECK_U64(in(&k), FW_DROP_TABLE_FULL);
    struct pk u = udp(IP(198, 51, 100, 2), 9, US, 53);
    CHECK_U64(in(&u), FW_DROP_TABLE_FULL);
    for (unsigned i = 0; i < 64; i++) {                       /* every existing flow still works */
        struct pk d = tcp(IP(198, 51, 100, 1), (uint16_t)(1000 + i), US, 443, ACK, 1001, 5001);
        CHECK_U64(in(&d), FW_PASS_TRACKED);
    }
    CHECK_U64(fw_stats(fw)->count[FW_IN][FW_DROP_TABLE_FULL], 2);
    CHECK_U64(fw_stats(fw)->flows_evicted, 0);
    now += 432000ull * 1000;                                  /* all expire */
    CHECK_U64(in(&k), FW_PASS_NEW);
    CHECK_U64(fw_stats(fw)->flows_now, 1);
    CHECK_U64(fw_stats(fw)->flows_expired, 64);

    /* Half-open flows make room: the oldest is evicted (early drop). */
    start(64);
    for (unsigned i = 0; i < 64; i++) {
        struct pk s = tcp(IP(198, 51, 100, 3), (uint16_t)(1000 + i), US, 443, SYN, 1, 0);
        CHECK_U64(in(&s), FW_PASS_NEW);
        now++;
    }
    handshake(IP(198, 51, 100, 4), 7, 0);
    CHECK_U64(fw_stats(fw)->flows_evicted, 1);
    CHECK(flow_of(IP(198, 51, 100, 3), 1000, 443) == NULL);
    CHECK(flow_of(IP(198, 51, 100, 3), 1001, 443) != NULL);
    CHECK(flow_of(IP(198, 51, 100, 4), 7, 443)->state == TCP_EST);
    CHECK_U64(fw_stats(fw)->flows_now, 64);
    CHECK_U64(fw_stats(fw)->flows_peak, 64);
    /* Finished connections (FINs both ways) go first: a table full of them
     * never keeps a new client out (short HTTP connections fill it at
     * 4096 / 120 s = 34 a second otherwise). */
    start(64);
    for (unsigned i = 0; i < 64; i++) {
        handshake(IP(198, 51, 100, 6), (uint16_t)(2000 + i), 0);
        struct pk fa = tcp(IP(198, 51, 100, 6), (uint16_t)(2000 + i), US, 443, FIN | ACK, 1001, 5001);
        CHECK_U64(in(&fa), FW_PASS_TRACKED);
        fa = tcp(US, 443, IP(198, 51, 100, 6), (uint16_t)(2000 + i), FIN | ACK, 5001, 1002);
        CHECK_U64(out(&fa), FW_PASS_TRACKED);
        now++;
    }
    for (unsigned i = 0; i < 64; i++)
        handshake(IP(198, 51, 100, 7), (uint16_t)(3000 + i), 0);
    CHECK_U64(fw_stats(fw)->flows_evicted, 64);
    CHECK_U64(fw_stats(fw)->count[FW_IN][FW_DROP_TABLE_FULL], 0);
    /* A half-closed connection (one FIN) still carries data: kept. */
    start(64);
    for (unsigned i = 0; i < 64; i++) {
        handshake(IP(198, 51, 100, 8), (uint16_t)(4000 + i), 0);
        struct pk fa = tcp(IP(198, 51, 100, 8), (uint16_t)(4000 + i), US, 443, FIN | ACK, 1001, 5001);
        CHECK_U64(in(&fa), FW_PASS_TRACKED);
    }
    CHECK_U64(in(&k), FW_DROP_TABLE_FULL);
    /* UDP flows that are not streams make room too. */
    start(64);
    for (unsigned i = 0; i < 64; i++) {
        struct pk d = udp(IP(198, 51, 100, 5), (uint16_t)(1000 + i), US, 53);
        CHECK_U64(in(&d), FW_PASS_NEW);
        now++;
    }
    CHECK_U64(in(&k), FW_PASS_NEW);
    CHECK_U64(fw_stats(fw)->flows_evicted, 1);
    struct fw_key gone = { .local = US, .remote = IP(198, 51, 100, 5), .lport = 53, .rport = 1000, .proto = 17 };
    CHECK(track_find(fw, &gone) == NULL);
}

/* ---- related ICMP errors ---- */

static void test_related(void)
{
    uint32_t SRV = IP(198, 51, 100, 20), ROUTER = IP(192, 0, 2, 254);
    fresh_cfg();
    rule(0, 17, 53, 53, 256, 256, 0, 0);
    rule(1, 6, 443, 443, 256, 256, 0, 0);                     /* no ICMP either way */
    start(4096);
    struct pk s = tcp(US, 40000, SRV, 443, SYN, 10, 0);
    CHECK_U64(out(&s), FW_PASS_NEW);
    uint8_t quoted[64];
    size_t qn = mk_ip(&s, quoted);
    struct pk e = icmp(ROUTER, US, 3, 4, 0);                  /* fragmentation needed */
    e.inner = quoted;
    e.inner_len = 28;
    CHECK_U64(in(&e), FW_PASS_RELATED);
    CHECK_U64(last.rule, 0);
    e.inner_len = qn;                                         /* the whole quoted header is fine too */
    CHECK_U64(in(&e), FW_PASS_RELATED);
    e.itype = 11;                                             /* time exceeded */
    e.icode = 0;
    CHECK_U64(in(&e), FW_PASS_RELATED);
    struct pk other = tcp(US, 40001, SRV, 443, SYN, 10, 0);   /* not a tracked flow */
    mk_ip(&other, quoted);
    e.inner_len = 28;
    CHECK_U64(in(&e), FW_DROP_NO_RULE);
    mk_ip(&s, quoted);
    e.dst = US + 1;                                           /* addressed to someone else */
    fw_set_address(fw, 0, 0);
    CHECK_U64(in(&e), FW_DROP_NO_RULE);
    fw_set_address(fw, US, 0xffffff00u);
    e.dst = US;
    e.inner_len = 20;                                         /* no ports quoted */
    CHECK_U64(in(&e), FW_DROP_ICMP_HEADER);
    /* Outbound: our port-unreachable about an inbound UDP datagram. */
    struct pk u = udp(IP(203, 0, 113, 1), 999, US, 53);
    CHECK_U64(in(&u), FW_PASS_NEW);
    uint8_t uq[64];
    mk_ip(&u, uq);
    struct pk pu = icmp(US, IP(203, 0, 113, 1), 3, 3, 0);
    pu.inner = uq;
    pu.inner_len = 28;
    CHECK_U64(out(&pu), FW_PASS_RELATED);
    pu.dst = IP(203, 0, 113, 2);                              /* quoted source must be the addressee */
    CHECK_U64(out(&pu), FW_DROP_NO_RULE);
    /* An error about an echo we sent. */
    fresh_cfg();
    rule(1, 1, 0, 0, 8, 256, 0, 0);
    start(4096);
    struct pk ping = icmp(US, SRV, 8, 0, 9);
    CHECK_U64(out(&ping), FW_PASS_NEW);
    uint8_t pq[64];
    mk_ip(&ping, pq);
    struct pk ue = icmp(ROUTER, US, 3, 1, 0);
    ue.inner = pq;
    ue.inner_len = 28;
    CHECK_U64(in(&ue), FW_PASS_RELATED);
    struct pk rep = icmp(SRV, US, 0, 0, 9);
    CHECK_U64(in(&rep), FW_PASS_TRACKED);
    /* The peer pings us with our echo's identifier: its request and our
     * reply go by the rules, and no second flow takes the same key. */
    fresh_cfg();
    rule(0, 1, 0, 0, 8, 256, 0, 0);
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    start(4096);
    CHECK_U64(out(&ping), FW_PASS_NEW);
    struct pk theirs = icmp(SRV, US, 8, 0, 9), ours = icmp(US, SRV, 0, 0, 9);
    CHECK_U64(in(&theirs), FW_PASS_STATELESS);
    CHECK_U64(out(&ours), FW_PASS_STATELESS);
    CHECK_U64(in(&theirs), FW_PASS_STATELESS);
    CHECK_U64(fw_stats(fw)->flows_now, 1);
}

/* ---- DHCP's broadcast exchange ---- */

static void test_broadcast(void)
{
    uint32_t SRV = IP(192, 0, 2, 1);
    fresh_cfg();
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    start(4096);
    fw_set_address(fw, 0, 0);                                 /* no address yet */
    struct pk d = udp(0, 68, 0xffffffffu, 67);
    CHECK_U64(out(&d), FW_PASS_NEW);
    struct pk o = udp(SRV, 67, IP(192, 0, 2, 50), 68);        /* offer to the offered address */
    CHECK_U64(in(&o), FW_PASS_TRACKED);
    o.dst = 0xffffffffu;                                      /* or broadcast */
    CHECK_U64(in(&o), FW_PASS_TRACKED);
    o.sport = 53;
    CHECK_U64(in(&o), FW_DROP_NO_RULE);
    o = udp(SRV, 67, IP(192, 0, 2, 50), 69);
    CHECK_U64(in(&o), FW_DROP_NO_RULE);
    /* Once the address is known, other destinations are not ours. */
    fw_set_address(fw, IP(192, 0, 2, 50), 0xffffff00u);
    o = udp(SRV, 67, IP(192, 0, 2, 51), 68);
    CHECK_U64(in(&o), FW_DROP_NOT_LOCAL);
    o.dst = IP(192, 0, 2, 255);                               /* the subnet broadcast is ours */
    CHECK_U64(in(&o), FW_PASS_TRACKED);
    /* Only our own broadcasts keep the flow: answers do not. */
    o = udp(SRV, 67, IP(192, 0, 2, 50), 68);
    for (int i = 0; i < 3; i++) {
        now += 20000;
        CHECK_U64(in(&o), i < 1 ? FW_PASS_TRACKED : FW_DROP_NO_RULE);
    }
    CHECK_U64(out(&d), FW_PASS_NEW);
    CHECK_U64(in(&o), FW_PASS_TRACKED);
    /* A datagram we receive on a broadcast address is answered from our
     * own address as its reply. */
    fresh_cfg();
    rule(0, 17, 137, 137, 256, 256, 0, 0);
    rule(1, 6, 443, 443, 256, 256, 0, 0);
    start(4096);
    struct pk nb = udp(IP(192, 0, 2, 77), 137, IP(192, 0, 2, 255), 137);
    CHECK_U64(in(&nb), FW_PASS_NEW);
    struct pk ans = udp(US, 137, IP(192, 0, 2, 77), 137);
    CHECK_U64(out(&ans), FW_PASS_TRACKED);
    /* An outbound rule set without UDP stops DHCP. */
    fresh_cfg();
    rule(1, 6, 0, 65535, 256, 256, 0, 0);
    start(4096);
    CHECK_U64(out(&d), FW_DROP_NO_RULE);
    CHECK_U64(fw_stats(fw)->count[FW_OUT][FW_DROP_NO_RULE], 1);
}

/* ---- malformed ---- */

static void test_malformed(void)
{
    uint32_t P = IP(203, 0, 113, 5);
    fresh_cfg();
    rule(0, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    start(4096);
    struct pk good = tcp(P, 1000, US, 443, SYN, 1, 0);
    size_t n;
#define IN_RAW(len) fw_filter(fw, FW_IN, fr, (len), (len), now, &last)
    n = mk(&good);
    CHECK_U64(IN_RAW(10), FW_DROP_RUNT);
    CHECK_U64(IN_RAW(30), FW_DROP_RUNT);
    CHECK_U64(fw_filter(fw, FW_IN, fr, 20, n, now, &last), FW_DROP_RUNT);   /* headers not captured */
    fr[12] = 0x86, fr[13] = 0xdd;
    CHECK_U64(IN_RAW(n), FW_DROP_NOT_IPV4);
    fr[12] = 0x81, fr[13] = 0x00;
    CHECK_U64(IN_RAW(n), FW_DROP_NOT_IPV4);                   /* VLAN tags too */
    fr[12] = 0x08, fr[13] = 0x06;
    CHECK_U64(IN_RAW(42), FW_PASS_ARP);
    uint8_t *ip = fr + 14, *t = fr + 34;
    n = mk(&good); ip[0] = 0x65; ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_IP_HEADER);
    n = mk(&good); ip[0] = 0x44;
    CHECK_U64(IN_RAW(n), FW_DROP_IP_HEADER);
    n = mk(&good); ip[6] = 0x80; ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_IP_HEADER);                  /* the reserved flag */
    n = mk(&good); put16(ip + 2, (uint32_t)(n - 14 + 1)); ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_IP_LENGTH);
    n = mk(&good); put16(ip + 2, 19); ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_IP_LENGTH);
    n = mk(&good); ip[11] ^= 1;
    CHECK_U64(IN_RAW(n), FW_DROP_IP_CHECKSUM);
    CHECK_U64(fw_filter(fw, FW_OUT, fr, n, n, now, &last), FW_PASS_NEW);   /* our own: not checked */
    n = mk(&good); ip[6] = 0x20; ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_FRAGMENT);                   /* more fragments */
    n = mk(&good); ip[7] = 0x01; ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_FRAGMENT);                   /* an offset */
    n = mk(&good); ip[6] = 0x40; ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_PASS_NEW);                        /* don't-fragment is fine */
    /* Options: a 24-byte header (NOPs) that is otherwise right. */
    n = mk(&good);
    memmove(ip + 24, ip + 20, n - 34);
    memset(ip + 20, 1, 4);
    ip[0] = 0x46;
    put16(ip + 2, (uint32_t)(n - 14 + 4));
    ip_checksum(ip);
    CHECK_U64(IN_RAW(n + 4), FW_DROP_IP_OPTIONS);
    static const uint32_t bad_src[] = { IP(127, 0, 0, 1), IP(0, 0, 0, 5), IP(224, 0, 0, 1),
                                        IP(255, 255, 255, 255), IP(240, 1, 1, 1), US };
    for (unsigned i = 0; i < sizeof bad_src / sizeof bad_src[0]; i++) {
        struct pk b = good;
        b.src = bad_src[i];
        CHECK_U64(in(&b), FW_DROP_SOURCE);
    }
    struct pk b = good;
    b.dst = IP(192, 0, 2, 11);
    CHECK_U64(in(&b), FW_DROP_NOT_LOCAL);
    b.dst = IP(224, 0, 0, 1);
    CHECK_U64(in(&b), FW_DROP_NOT_LOCAL);
    n = mk(&good); t[12] = 0x40;
    CHECK_U64(IN_RAW(n), FW_DROP_TCP_HEADER);                 /* data offset 16 */
    n = mk(&good); t[12] = 0x60;
    CHECK_U64(IN_RAW(n), FW_DROP_TCP_HEADER);                 /* past the segment */
    b = good; b.dport = 0;
    CHECK_U64(in(&b), FW_DROP_TCP_HEADER);
    b = good; b.sport = 0;
    CHECK_U64(in(&b), FW_DROP_TCP_HEADER);
    b = good; b.payload = 0;
    n = mk(&b); put16(ip + 2, 20 + 19); ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_TCP_HEADER);                 /* 19 bytes of TCP */
    static const uint8_t bad_flags[] = { SYN | FIN, SYN | RST, 0, FIN, FIN | PSH | 0x20, PSH,
                                         RST | FIN, SYN | ACK | FIN };
    for (unsigned i = 0; i < sizeof bad_flags; i++) {
        b = good;
        b.flags = bad_flags[i];
        CHECK_U64(in(&b), FW_DROP_TCP_FLAGS);
    }
    b = good; b.wscale = 8;
    n = mk(&b); t[22] = 9;                                    /* option length past the header */
    CHECK_U64(IN_RAW(n), FW_DROP_TCP_HEADER);
    struct pk u = udp(P, 1, US, 2);
    n = mk(&u); put16(t + 4, 7);
    CHECK_U64(IN_RAW(n), FW_DROP_UDP_HEADER);
    n = mk(&u); put16(t + 4, 19);
    CHECK_U64(IN_RAW(n), FW_DROP_UDP_HEADER);                 /* longer than the packet */
    u.dport = 0;
    CHECK_U64(in(&u), FW_DROP_UDP_HEADER);
    struct pk ic = icmp(P, US, 8, 0, 1);
    n = mk(&ic); put16(ip + 2, 20 + 4); ip_checksum(ip);
    CHECK_U64(IN_RAW(n), FW_DROP_ICMP_HEADER);
    static const uint8_t v6[28] = { 0x60 };
    ic = icmp(P, US, 3, 1, 0);
    ic.inner = v6;
    ic.inner_len = sizeof v6;
    CHECK_U64(in(&ic), FW_DROP_ICMP_HEADER);                  /* quotes something not IPv4 */
    CHECK_U64(fw_stats(fw)->flows_now, 2);                    /* the don't-fragment SYN, the outbound one */
#undef IN_RAW
}

/* ---- counters and text ---- */

static void test_counters_and_text(void)
{
    uint32_t P = IP(203, 0, 113, 5);
    fresh_cfg();
    rule(0, 6, 443, 443, 256, 256, 0, 0);
    cfg.in[0].desc = "https";
    cfg.in[0].line = 20;
    rule(1, CONFIG_PROTO_ALL, 0, 0, 256, 256, 0, 0);
    cfg.out[0].line = 0;
    start(4096);
    handshake(P, 1000, 0);
    struct pk k = tcp(P, 1000, US, 22, SYN, 1, 0);
    CHECK_U64(in(&k), FW_DROP_NO_RULE);
    const struct fw_stats *s = fw_stats(fw);
    CHECK_U64(s->rule[FW_IN][0].packets, 3);                  /* both directions, credited to the rule */
    CHECK_U64(s->rule[FW_IN][0].bytes, 3 * 40);
    CHECK_U64(s->rule[FW_OUT][0].packets, 0);
    CHECK_U64(s->count[FW_IN][FW_PASS_NEW], 1);
    CHECK_U64(s->count[FW_IN][FW_PASS_TRACKED], 1);
    CHECK_U64(s->count[FW_OUT][FW_PASS_TRACKED], 1);
    CHECK_U64(s->count[FW_IN][FW_DROP_NO_RULE], 1);
    CHECK_U64(s->flows_by_proto[0], 1);
    char buf[2048];
    fw_describe(&last, buf, sizeof buf);
    CHECK_STR(buf, "in tcp 203.0.113.5:1000 -> 192.0.2.10:22 [S]");
    CHECK_STR(fw_reason_text(FW_DROP_NO_RULE, FW_IN), "no inbound rule allows it");
    CHECK_STR(fw_reason_name(FW_DROP_FRAGMENT), "fragment");
    struct pk e = icmp(P, US, 8, 0, 1);
    in(&e);
    fw_describe(&last, buf, sizeof buf);
    CHECK_STR(buf, "in icmp 203.0.113.5 -> 192.0.2.10 type 8 code 0");
    fw_show(fw, buf, sizeof buf);
    CHECK(strstr(buf, "flows: 1 tracked (tcp 1, udp 0, icmp 0, other 0), peak 1 of 4096") != NULL);
    CHECK(strstr(buf, "dropped in: no-rule 2\n") != NULL);
    CHECK(strstr(buf, "passed out: tracked 1\n") != NULL);
    CHECK(strstr(buf, "rule inbound 1 (line 20, \"https\"): 3 packets, 120 bytes\n") != NULL);
    CHECK(strstr(buf, "rule outbound 1 (the default): 0 packets, 0 bytes\n") != NULL);
    char small[16];
    CHECK(fw_show(fw, small, sizeof small) == 15 && small[15] == 0);   /* truncates, terminated */
    for (int r = 0; r < FW_REASONS; r++)
        CHECK(fw_reason_name((enum fw_reason)r) != NULL && fw_reason_text((enum fw_reason)r, FW_OUT) != NULL);
}

/* ---- many flows: every one findable, none leaked ---- */

static void test_many_flows(void)
{
    fresh_cfg();
    rule(0, 17, 1, 65535, 256, 256, 0, 0);
    start(4096);
    for (int round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 4096; i++) {
            struct pk u = udp(IP(10, 0, (i >> 8) & 255, i & 255), (uint16_t)(1000 + round), US, 53);
            CHECK_U64(in(&u), FW_PASS_NEW);
        }
        for (unsigned i = 0; i < 4096; i += 97) {
            struct pk u = udp(IP(10, 0, (i >> 8) & 255, i & 255), (uint16_t)(1000 + round), US, 53);
            CHECK_U64(in(&u), FW_PASS_TRACKED);
        }
        CHECK_U64(fw_stats(fw)->flows_now, 4096);
        now += 31000;
        fw_expire(fw, now);
        CHECK_U64(fw_stats(fw)->flows_now, 0);
    }
    CHECK(fw_init(mem, 10, &cfg, 4096, 1) == NULL);           /* too small a buffer */
    CHECK(fw_init(mem, fw_mem_size(64), &cfg, 0, 1) == NULL);
}

int main(void)
{
    test_rules();
    test_tcp();
    test_tcp_windows();
    test_timeouts();
    test_table_full();
    test_related();
    test_broadcast();
    test_malformed();
    test_counters_and_text();
    test_many_flows();
    free(mem);
    return check_done("test_fw");
}
