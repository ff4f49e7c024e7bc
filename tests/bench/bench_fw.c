/* bench_fw: nanoseconds per packet for the firewall (net/fw.c) on the host,
 * built with -O2 (make bench-fw). The worst case the issue asks for: 60
 * inbound and 60 outbound rules, the only matching inbound rule last, and
 * a full tracking table. Figures:
 *   tracked   an ACK of one of the table's established flows (random order)
 *   new       an opening SYN admitted by the 60th rule into the last free slots
 *   no-rule   a SYN no rule allows (all 60 rules tried)
 *   full      a SYN a rule allows, into a table with no room
 *   parse     a malformed frame (bad checksum), dropped before any lookup
 * Usage: bench-fw [FLOWS] (default 4096; try 1048576 to see that the
 * per-packet cost does not grow with the table). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "net/fw.h"
#include "tests/unit/fw_frames.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct config_firewall cfg;

static void add(struct config_fw_rule *r, uint16_t proto, uint16_t lo, uint16_t hi, uint32_t peer, uint8_t prefix)
{
    memset(r, 0, sizeof *r);
    r->proto = proto;
    r->port_lo = lo;
    r->port_hi = hi;
    r->icmp_type = r->icmp_code = CONFIG_ICMP_ANY;
    put32(r->peer, peer);
    r->prefix = prefix;
    r->desc = "";
}

/* Frames for flow i: a SYN from peer(i) to port 443, etc. */
static uint32_t peer(uint32_t i) { return IP(100, 64, 0, 0) + (i >> 14); }
static uint16_t pport(uint32_t i) { return (uint16_t)(1024 + (i & 0x3fff)); }

static size_t frame(uint8_t *f, uint32_t src, uint16_t sport, uint16_t dport, uint8_t flags)
{
    struct pk k = { .proto = 6, .src = src, .dst = US, .sport = sport, .dport = dport, .flags = flags,
                    .seq = 1000, .ack = flags & ACK ? 5001 : 0 };
    memset(f, 0, 14);
    f[12] = 0x08;
    return 14 + mk_ip(&k, f + 14);
}

/* The SYN-ACK and ACK after flow i's SYN. */
static int establish(struct fw *fw, uint32_t i, uint64_t t)
{
    uint8_t f[128];
    struct pk sa = { .proto = 6, .src = US, .dst = peer(i), .sport = 443, .dport = pport(i),
                     .flags = SYN | ACK, .seq = 5000, .ack = 1001 };
    size_t n = 14 + mk_ip(&sa, f + 14);
    memset(f, 0, 14);
    f[12] = 0x08;
    if (fw_filter(fw, FW_OUT, f, n, n, t, NULL) != FW_PASS_TRACKED)
        return -1;
    n = frame(f, peer(i), pport(i), 443, ACK);
    return fw_filter(fw, FW_IN, f, n, n, t, NULL) == FW_PASS_TRACKED ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint32_t flows = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 4096;
    if (flows < 64 || flows > (1u << 20)) {
        fprintf(stderr, "bench-fw: FLOWS must be 64-1048576\n");
        return 2;
    }
    cfg.flows = flows;
    cfg.tcp_established = 432000;
    cfg.udp = 30;
    cfg.udp_stream = 180;
    cfg.other = 600;
    for (unsigned i = 0; i < 59; i++)                   /* 59 rules that never match the traffic */
        add(&cfg.in[i], 6, (uint16_t)(2000 + i), (uint16_t)(2000 + i), IP(10, i, 0, 0), 16);
    add(&cfg.in[59], 6, 443, 443, IP(100, 64, 0, 0), 10);
    cfg.nin = 60;
    for (unsigned i = 0; i < 60; i++)
        add(&cfg.out[i], 17, (uint16_t)(3000 + i), (uint16_t)(3000 + i), IP(10, i, 0, 0), 16);
    cfg.nout = 60;
    size_t size = fw_mem_size(flows);
    void *mem = malloc(size);
    struct fw *fw = fw_init(mem, size, &cfg, flows, 0x1234);
    fw_set_address(fw, US, 0xffffff00u);
    uint8_t f[128];
    uint64_t t = 1;
    const uint32_t spare = 1000 < flows / 2 ? 1000 : flows / 2;
    /* Fill all but `spare` slots with established connections. */
    for (uint32_t i = 0; i < flows - spare; i++) {
        size_t n = frame(f, peer(i), pport(i), 443, SYN);
        if (fw_filter(fw, FW_IN, f, n, n, t, NULL) != FW_PASS_NEW || establish(fw, i, t) < 0)
            return fprintf(stderr, "bench-fw: setting up flow %u failed\n", i), 1;
    }
    enum { N_ACK = 4000000, N_DROP = 2000000 };
    /* Pre-built ACK frames in a random order, so the cache sees a table. */
    enum { NF = 4096 };
    static uint8_t acks[NF][64];
    size_t alen = 0;
    srand(1);
    for (int i = 0; i < NF; i++) {
        uint32_t j = (uint32_t)rand() % (flows - spare);
        alen = frame(acks[i], peer(j), pport(j), 443, ACK);
    }
    double t0 = now_ns();
    unsigned ok = 0;
    for (int i = 0; i < N_ACK; i++)
        ok += fw_filter(fw, FW_IN, acks[i & (NF - 1)], alen, alen, t, NULL) == FW_PASS_TRACKED;
    double tracked = (now_ns() - t0) / N_ACK;
    if (ok != N_ACK)
        return fprintf(stderr, "bench-fw: %u of %d tracked ACKs passed\n", ok, N_ACK), 1;

    t0 = now_ns();
    for (uint32_t i = flows - spare; i < flows; i++) {
        size_t n = frame(f, peer(i), pport(i), 443, SYN);
        ok += fw_filter(fw, FW_IN, f, n, n, t, NULL) == FW_PASS_NEW;
    }
    double fresh = (now_ns() - t0) / spare;            /* includes building the frame */
    for (uint32_t i = flows - spare; i < flows; i++)
        if (establish(fw, i, t) < 0)
            return fprintf(stderr, "bench-fw: establishing flow %u failed\n", i), 1;
    if (fw_stats(fw)->flows_now != flows)
        return fprintf(stderr, "bench-fw: table not full after the new flows\n"), 1;

    size_t n = frame(f, IP(198, 51, 100, 1), 999, 22, SYN);
    t0 = now_ns();
    for (int i = 0; i < N_DROP; i++)
        ok += fw_filter(fw, FW_IN, f, n, n, t, NULL) == FW_DROP_NO_RULE;
    double norule = (now_ns() - t0) / N_DROP;

    n = frame(f, peer(flows + 5), pport(flows + 5), 443, SYN);
    t0 = now_ns();
    for (int i = 0; i < N_DROP; i++)
        ok += fw_filter(fw, FW_IN, f, n, n, t, NULL) == FW_DROP_TABLE_FULL;
    double full = (now_ns() - t0) / N_DROP;

    n = frame(f, peer(1), pport(1), 443, ACK);
    f[14 + 11] ^= 1;
    t0 = now_ns();
    for (int i = 0; i < N_DROP; i++)
        ok += fw_filter(fw, FW_IN, f, n, n, t, NULL) == FW_DROP_IP_CHECKSUM;
    double parse = (now_ns() - t0) / N_DROP;
    if (ok != N_ACK + spare + 3u * N_DROP)
        return fprintf(stderr, "bench-fw: unexpected verdicts\n"), 1;

    printf("bench-fw: 60 inbound + 60 outbound rules, %u flows (table full, %zu KiB)\n", flows, size / 1024);
    printf("  tracked  %6.1f ns/packet\n", tracked);
    printf("  new      %6.1f ns/packet (60th rule)\n", fresh);
    printf("  no-rule  %6.1f ns/packet (60 rules tried)\n", norule);
    printf("  full     %6.1f ns/packet\n", full);
    printf("  parse    %6.1f ns/packet (bad checksum)\n", parse);
    free(mem);
    return 0;
}
