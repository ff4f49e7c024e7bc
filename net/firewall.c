/* net/firewall.c: runs the pure filter (net/fw.c) on the appliance: the
 * table from the heap, sized by the config's `flows` and capped by RAM;
 * the clock; drop logs, rate-limited; the counters on the console.
 *
 * A drop log line names direction, protocol, addresses, ports and the
 * reason or missing rule: the seeds' "request is blocked", made visible.
 * At most LOG_BURST lines at once and LOG_PER_SEC a second after that; the
 * lines not written are counted and reported with the next one, so a port
 * scan or a flood cannot drown the console or slow the loop.
 */
#include "net/firewall.h"

#include <stdio.h>
#include <stdlib.h>
#include "kernel/kernel.h"
#include "net/fw.h"
#include "net/net.h"

#define LOG_BURST 20
#define LOG_PER_SEC 10
/* The table may take at most this share of the heap (1/N). */
#define HEAP_SHARE 4

static struct fw *fw;
static int enforcing = 1;
static struct log_limit drop_log;

static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000u; }

int net_firewall_init(const struct config_firewall *cfg, int enforce)
{
    enforcing = enforce;
    if (!enforce) {
        log_warn("fw", "test.fw=off: the firewall is OFF, every packet passes (tests and "
                 "benchmarks only)");
        return 0;
    }
    struct memory_info mi;
    memory_get_info(&mi);
    uint32_t flows = cfg->flows;
    while (flows > 64 && fw_mem_size(flows) > mi.heap_bytes / HEAP_SHARE)
        flows /= 2;
    if (flows != cfg->flows)
        log_warn("fw", "flows %u would need %zu KiB, more than 1/%d of the %llu MiB heap: "
                 "tracking %u flows (give the VM more memory to track more)", cfg->flows,
                 fw_mem_size(cfg->flows) / 1024, HEAP_SHARE,
                 (unsigned long long)(mi.heap_bytes >> 20), flows);
    size_t size = fw_mem_size(flows);
    void *mem = malloc(size);
    uint64_t seed;
    rand_weak_fill(&seed, sizeof seed);
    fw = mem ? fw_init(mem, size, cfg, flows, seed) : NULL;
    if (!fw) {
        /* Failing closed: without the table nothing would be filtered. */
        panic("fw: no memory for a table of %u flows (%zu KiB)", flows, size / 1024);
    }
    log_info("fw", "%u inbound and %u outbound rules, %u flows tracked at most (%zu KiB)",
             cfg->nin, cfg->nout, flows, size / 1024);
    return 0;
}

void firewall_set_address(uint32_t addr, uint32_t mask)
{
    if (fw)
        fw_set_address(fw, addr, mask);
}

static void log_drop(const struct fw_pkt *p, enum fw_reason r, uint64_t now)
{
    if (!log_limit_take(&drop_log, now, LOG_BURST, LOG_PER_SEC))
        return;
    char what[96];
    fw_describe(p, what, sizeof what);
    if (drop_log.suppressed)
        log_info("fw", "blocked %s: %s (%llu more drops not logged)", what,
                 fw_reason_text(r, p->dir), (unsigned long long)drop_log.suppressed);
    else
        log_info("fw", "blocked %s: %s", what, fw_reason_text(r, p->dir));
    drop_log.suppressed = 0;
}

static int run(enum fw_dir dir, const uint8_t *f, size_t cap, size_t len)
{
    if (!fw)
        return 1;
    struct fw_pkt p;
    uint64_t now = now_ms();
    enum fw_reason r = fw_filter(fw, dir, f, cap, len, now, &p);
    if (fw_passes(r))
        return 1;
    log_drop(&p, r, now);
    return 0;
}

int firewall_in(const uint8_t *frame, size_t len) { return run(FW_IN, frame, len, len); }

int firewall_out(const uint8_t *hdr, size_t caplen, size_t len)
{
    return run(FW_OUT, hdr, caplen, len);
}

size_t net_firewall_show(char *buf, size_t cap)
{
    if (!fw) {
        int n = snprintf(buf, cap, "%s\n", enforcing ? "no firewall" : "firewall off (test.fw=off)");
        return n < 0 ? 0 : (size_t)n;
    }
    fw_expire(fw, now_ms());
    return fw_show(fw, buf, cap);
}

void net_firewall_log_stats(void)
{
    char *text = malloc(16384);
    if (!text)
        return;
    net_firewall_show(text, 16384);
    log_lines(LOG_INFO, "fw", "", text);
    free(text);
}

size_t net_firewall_metrics(char *buf, size_t cap)
{
    if (!fw || !cap)
        return 0;
    fw_expire(fw, now_ms());
    const struct fw_stats *s = fw_stats(fw);
    struct sbuf b = { buf, cap, 0 };
    sb_printf(&b, "# HELP firewall_packets_total Packets by direction, verdict and reason (docs/firewall.md).\n"
        "# TYPE firewall_packets_total counter\n");
    for (int d = 0; d < 2; d++)
        for (int r = 0; r < FW_REASONS; r++)
            if (s->count[d][r])
                sb_printf(&b, "firewall_packets_total{dir=\"%s\",verdict=\"%s\",reason=\"%s\"} %llu\n",
                    d == FW_IN ? "in" : "out", fw_passes((enum fw_reason)r) ? "pass" : "drop",
                    fw_reason_name((enum fw_reason)r), (unsigned long long)s->count[d][r]);
    sb_printf(&b, "# TYPE firewall_rule_packets_total counter\n# TYPE firewall_rule_bytes_total counter\n");
    const struct config_firewall *cfg = fw_config(fw);
    for (int d = 0; d < 2; d++) {
        unsigned n = d == FW_IN ? cfg->nin : cfg->nout;
        for (unsigned i = 0; i < n; i++) {
            const char *dir = d == FW_IN ? "inbound" : "outbound";
            sb_printf(&b, "firewall_rule_packets_total{dir=\"%s\",rule=\"%u\"} %llu\n"
                "firewall_rule_bytes_total{dir=\"%s\",rule=\"%u\"} %llu\n", dir, i + 1,
                (unsigned long long)s->rule[d][i].packets, dir, i + 1,
                (unsigned long long)s->rule[d][i].bytes);
        }
    }
    sb_printf(&b, "# TYPE firewall_flows gauge\nfirewall_flows %u\n# TYPE firewall_flows_max gauge\n"
        "firewall_flows_max %u\n# TYPE firewall_flows_evicted_total counter\n"
        "firewall_flows_evicted_total %llu\n", s->flows_now, s->flows_max,
        (unsigned long long)s->flows_evicted);
    return b.len;
}
