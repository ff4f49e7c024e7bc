/* tests/unit/fw_frames.h: IPv4 packets built byte by byte for the firewall's
 * unit tests and benchmark (tests/unit/test_fw.c, tests/bench/bench_fw.c).
 * mk_ip writes the IPv4 header (checksummed) and a TCP, UDP or ICMP
 * header described by struct pk. */
#ifndef TESTS_UNIT_FW_FRAMES_H
#define TESTS_UNIT_FW_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define US 0xc000020au                   /* 192.0.2.10, the appliance */
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define PSH 0x08

struct pk {
    uint8_t proto;
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win, payload;
    int wscale;                          /* 0: none, else scale + 1 */
    uint8_t itype, icode;
    uint16_t id;
    const uint8_t *inner;                /* quoted packet for ICMP errors */
    size_t inner_len;
};

static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }

static inline void ip_checksum(uint8_t *ip)
{
    ip[10] = ip[11] = 0;
    uint32_t s = 0;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    for (size_t i = 0; i < ihl; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    put16(ip + 10, ~s & 0xffff);
}

/* An IPv4 packet (no Ethernet header) into out; returns its length. */
static inline size_t mk_ip(const struct pk *k, uint8_t *out)
{
    uint8_t *l4 = out + 20;
    size_t l4len;
    memset(out, 0, 20);
    if (k->proto == 6) {
        size_t opt = k->wscale ? 4 : 0;
        memset(l4, 0, 20 + opt + k->payload);
        put16(l4, k->sport);
        put16(l4 + 2, k->dport);
        put32(l4 + 4, k->seq);
        put32(l4 + 8, k->ack);
        l4[12] = (uint8_t)(((20 + opt) / 4) << 4);
        l4[13] = k->flags;
        put16(l4 + 14, k->win ? k->win : 65535);
        if (opt) {
            l4[20] = 1;
            l4[21] = 3;
            l4[22] = 3;
            l4[23] = (uint8_t)(k->wscale - 1);
        }
        l4len = 20 + opt + k->payload;
    } else if (k->proto == 17) {
        l4len = 8 + k->payload;
        memset(l4, 0, l4len);
        put16(l4, k->sport);
        put16(l4 + 2, k->dport);
        put16(l4 + 4, (uint32_t)l4len);
    } else if (k->proto == 1) {
        l4len = 8 + k->inner_len + k->payload;
        memset(l4, 0, l4len);
        l4[0] = k->itype;
        l4[1] = k->icode;
        put16(l4 + 4, k->id);
        if (k->inner)
            memcpy(l4 + 8, k->inner, k->inner_len);
    } else {
        l4len = k->payload;
        memset(l4, 0, l4len);
    }
    out[0] = 0x45;
    put16(out + 2, (uint32_t)(20 + l4len));
    out[8] = 64;
    out[9] = k->proto;
    put32(out + 12, k->src);
    put32(out + 16, k->dst);
    ip_checksum(out);
    return 20 + l4len;
}

#endif
