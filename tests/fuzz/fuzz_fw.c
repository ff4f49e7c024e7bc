/* libFuzzer target: raw frames -> the firewall (net/fw.c). The input is a
 * sequence of records [direction:1][clock step:1][length:2 LE][frame], fed
 * through one filter with a 64-flow table (so it fills, expires and evicts).
 * Whatever the bytes, the filter must not read out of bounds (ASan) or
 * overflow (UBSan), and after every frame the table must be consistent:
 * each flow on exactly one idle list, in last-seen order, and findable by
 * its key; the counts agree. */
#include <stdlib.h>
#include <string.h>
#include "net/fw_table.h"

static struct config_firewall cfg;
static void *mem;

static void rule(struct config_fw_rule *r, uint16_t proto, uint16_t lo, uint16_t hi)
{
    memset(r, 0, sizeof *r);
    r->proto = proto;
    r->port_lo = lo;
    r->port_hi = hi;
    r->icmp_type = r->icmp_code = CONFIG_ICMP_ANY;
    r->desc = "";
}

static void check(struct fw *fw)
{
    uint32_t n = 0;
    for (int c = 0; c < FWC_COUNT; c++) {
        uint64_t last = 0;
        uint32_t prev = 0;
        for (uint32_t i = fw->head[c]; i; i = fw->flow[i].next) {
            const struct fw_flow *f = &fw->flow[i];
            if (f->cls != c || f->prev != prev || f->last_ms < last || track_find(fw, &f->key) != f)
                __builtin_trap();
            last = f->last_ms;
            prev = i;
            if (++n > fw->nflows)
                __builtin_trap();
        }
        if (fw->tail[c] != prev)
            __builtin_trap();
    }
    const struct fw_stats *s = fw_stats(fw);
    uint32_t byp = s->flows_by_proto[0] + s->flows_by_proto[1] + s->flows_by_proto[2] + s->flows_by_proto[3];
    if (n != s->flows_now || byp != n || s->flows_now > s->flows_max)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!mem) {
        cfg.flows = 64;
        cfg.tcp_established = 60;
        cfg.udp = 30;
        cfg.udp_stream = 60;
        cfg.other = 60;
        rule(&cfg.in[0], 6, 80, 443);
        rule(&cfg.in[1], 17, 53, 53);
        rule(&cfg.in[2], 1, 0, 0);
        rule(&cfg.in[3], 47, 0, 0);
        cfg.nin = 4;
        rule(&cfg.out[0], CONFIG_PROTO_ALL, 0, 0);
        cfg.nout = 1;
        mem = malloc(fw_mem_size(64));
    }
    struct fw *fw = fw_init(mem, fw_mem_size(64), &cfg, 64, 7);
    fw_set_address(fw, 0xc000020a, 0xffffff00);
    uint64_t now = 0;
    char text[4096];
    while (size >= 4) {
        enum fw_dir dir = data[0] & 1 ? FW_OUT : FW_IN;
        now += (uint64_t)data[1] * 1000;
        size_t len = (size_t)(data[2] | data[3] << 8);
        data += 4;
        size -= 4;
        if (len > size)
            len = size;
        /* A copy of exactly len bytes, so ASan sees any read past it. */
        uint8_t *frame = malloc(len ? len : 1);
        memcpy(frame, data, len);
        struct fw_pkt p;
        enum fw_reason r = fw_filter(fw, dir, frame, len, len, now, &p);
        if ((unsigned)r >= FW_REASONS)
            __builtin_trap();
        fw_describe(&p, text, sizeof text);
        free(frame);
        check(fw);
        data += len;
        size -= len;
    }
    fw_show(fw, text, sizeof text);
    return 0;
}
