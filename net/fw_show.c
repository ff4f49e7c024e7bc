/* net/fw_show.c: the firewall's words: reason names (the metrics' labels),
 * log phrases, one packet described for a log line, and the counters as
 * text for the console (pure; interface in net/fw.h).
 */
#include "net/fw_table.h"


static const struct { const char *name, *text; } reasons[FW_REASONS] = {
    [FW_PASS_ARP] = { "arp", "ARP" },
    [FW_PASS_NEW] = { "new", "a new flow" },
    [FW_PASS_TRACKED] = { "tracked", "part of a tracked flow" },
    [FW_PASS_RELATED] = { "related", "an ICMP error about a tracked flow" },
    [FW_PASS_STATELESS] = { "stateless", "allowed ICMP" },
    [FW_DROP_NOT_IPV4] = { "not-ipv4", "not IPv4 (IPv6 is not supported yet)" },
    [FW_DROP_RUNT] = { "runt", "shorter than its headers" },
    [FW_DROP_IP_HEADER] = { "ip-header", "a bad IPv4 version, header length or reserved flag" },
    [FW_DROP_IP_LENGTH] = { "ip-length", "an IPv4 length that does not fit the frame" },
    [FW_DROP_IP_CHECKSUM] = { "ip-checksum", "a bad IPv4 header checksum" },
    [FW_DROP_IP_OPTIONS] = { "ip-options", "IPv4 options are not accepted" },
    [FW_DROP_FRAGMENT] = { "fragment", "fragments are not accepted" },
    [FW_DROP_SOURCE] = { "bad-source", "an impossible source address" },
    [FW_DROP_NOT_LOCAL] = { "not-local", "not addressed to this appliance" },
    [FW_DROP_TCP_HEADER] = { "tcp-header", "a bad TCP header length or port 0" },
    [FW_DROP_TCP_FLAGS] = { "tcp-flags", "an impossible set of TCP flags" },
    [FW_DROP_UDP_HEADER] = { "udp-header", "a bad UDP length or port 0" },
    [FW_DROP_ICMP_HEADER] = { "icmp-header", "a short or bad ICMP message" },
    [FW_DROP_NO_RULE] = { "no-rule", NULL },
    [FW_DROP_TCP_NO_FLOW] = { "tcp-no-flow", "TCP that is neither an opening SYN nor part of a tracked connection" },
    [FW_DROP_TCP_STATE] = { "tcp-state", "not valid in its connection's state" },
    [FW_DROP_TABLE_FULL] = { "table-full", "the flow table is full" },
};

const char *fw_reason_name(enum fw_reason r)
{
    return (unsigned)r < FW_REASONS ? reasons[r].name : "?";
}

const char *fw_reason_text(enum fw_reason r, enum fw_dir dir)
{
    if (r == FW_DROP_NO_RULE)
        return dir == FW_IN ? "no inbound rule allows it" : "no outbound rule allows it";
    return (unsigned)r < FW_REASONS ? reasons[r].text : "?";
}

static void addr(struct sbuf *o, uint32_t a)
{
    sb_printf(o, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static const char *proto_name(uint8_t p)
{
    return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : NULL;
}

size_t fw_describe(const struct fw_pkt *p, char *buf, size_t cap)
{
    struct sbuf o = { buf, cap, 0 };
    if (!cap)
        return 0;
    buf[0] = 0;
    const char *dir = p->dir == FW_IN ? "in" : "out";
    if (p->ethertype != 0x0800) {
        sb_printf(&o, "%s ethertype %#06x", dir, p->ethertype);
        return o.len;
    }
    const char *name = proto_name(p->proto);
    if (name)
        sb_printf(&o, "%s %s ", dir, name);
    else
        sb_printf(&o, "%s proto %u ", dir, p->proto);
    addr(&o, p->src);
    if (p->proto == 6 || p->proto == 17)
        sb_printf(&o, ":%u", p->sport);
    sb_printf(&o, " -> ");
    addr(&o, p->dst);
    if (p->proto == 6 || p->proto == 17)
        sb_printf(&o, ":%u", p->dport);
    if (p->proto == 6) {
        static const char fl[] = "FSRPAUEC";
        char f[9];
        int n = 0;
        for (int i = 0; i < 8; i++)
            if (p->tcp_flags & (1u << i))
                f[n++] = fl[i];
        f[n] = 0;
        sb_printf(&o, " [%s]", f);
    } else if (p->proto == 1) {
        sb_printf(&o, " type %u code %u", p->icmp_type, p->icmp_code);
    }
    return o.len;
}

size_t fw_show(const struct fw *fw, char *buf, size_t cap)
{
    struct sbuf o = { buf, cap, 0 };
    if (!cap)
        return 0;
    buf[0] = 0;
    const struct fw_stats *s = &fw->st;
    sb_printf(&o, "flows: %u tracked (tcp %u, udp %u, icmp %u, other %u), peak %u of %u; "
        "created %llu, expired %llu, evicted %llu, reset %llu\n",
        s->flows_now, s->flows_by_proto[0], s->flows_by_proto[1], s->flows_by_proto[2],
        s->flows_by_proto[3], s->flows_peak, s->flows_max, (unsigned long long)s->flows_created,
        (unsigned long long)s->flows_expired, (unsigned long long)s->flows_evicted,
        (unsigned long long)s->flows_closed);
    for (int d = 0; d < 2; d++) {
        for (int drop = 0; drop < 2; drop++) {
            sb_printf(&o, "%s %s:", drop ? "dropped" : "passed", d == FW_IN ? "in" : "out");
            int any = 0;
            for (int r = drop ? FW_DROP_FIRST : 0; r < (drop ? FW_REASONS : FW_DROP_FIRST); r++) {
                if (!s->count[d][r])
                    continue;
                sb_printf(&o, "%s %s %llu", any ? "," : "", reasons[r].name, (unsigned long long)s->count[d][r]);
                any = 1;
            }
            sb_printf(&o, "%s\n", any ? "" : " none");
        }
    }
    const struct config_fw_rule *rules[2] = { fw->cfg->in, fw->cfg->out };
    for (int d = 0; d < 2; d++) {
        for (unsigned i = 0; i < fw->nrules[d]; i++) {
            const struct fw_rule_count *c = &s->rule[d][i];
            const struct config_fw_rule *r = &rules[d][i];
            int desc = r->desc && *r->desc;
            sb_printf(&o, "rule %s %u (", d == FW_IN ? "inbound" : "outbound", i + 1);
            if (r->line)
                sb_printf(&o, "line %u", r->line);
            else
                sb_printf(&o, "%s", desc ? "added" : "the default");
            if (desc)
                sb_printf(&o, ", \"%s\"", r->desc);
            sb_printf(&o, "): %llu packets, %llu bytes\n", (unsigned long long)c->packets,
                (unsigned long long)c->bytes);
        }
    }
    return o.len;
}
