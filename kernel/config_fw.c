/* kernel/config_fw.c: the firewall section: security-group rules and the
 * connection tracker's settings (docs/config.md, docs/firewall.md).
 *
 *   inbound  PROTO [PORTS | ICMP] from PEER ["description"]
 *   outbound PROTO [PORTS | ICMP] to   PEER ["description"]
 *
 * PROTO is tcp, udp, icmp, all, or an IP protocol number; PORTS is N, N-M
 * or any (tcp and udp); ICMP is any, a type name, TYPE or TYPE:CODE; PEER
 * is A.B.C.D/N, A.B.C.D (one host) or any. As in AWS security groups the
 * rules only allow, a duplicate rule is an error, and there are at most 60
 * per direction. With no outbound rule the default allow-all applies.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/config_kit.h"

static const struct icmp_name { const char *name; uint16_t type, code; } icmp_names[] = {
    { "echo-reply", 0, CONFIG_ICMP_ANY },
    { "destination-unreachable", 3, CONFIG_ICMP_ANY },
    { "fragmentation-needed", 3, 4 },
    { "source-quench", 4, CONFIG_ICMP_ANY },
    { "redirect", 5, CONFIG_ICMP_ANY },
    { "echo-request", 8, CONFIG_ICMP_ANY },
    { "router-advertisement", 9, CONFIG_ICMP_ANY },
    { "router-solicitation", 10, CONFIG_ICMP_ANY },
    { "time-exceeded", 11, CONFIG_ICMP_ANY },
    { "parameter-problem", 12, CONFIG_ICMP_ANY },
    { "timestamp-request", 13, CONFIG_ICMP_ANY },
    { "timestamp-reply", 14, CONFIG_ICMP_ANY },
};
#define NICMP (sizeof icmp_names / sizeof icmp_names[0])

/* "any" | NAME | TYPE | TYPE:CODE, numbers 0-255. */
static int parse_icmp(const char *s, uint16_t *type, uint16_t *code)
{
    if (strcmp(s, "any") == 0) {
        *type = *code = CONFIG_ICMP_ANY;
        return 0;
    }
    for (size_t i = 0; i < NICMP; i++)
        if (strcmp(s, icmp_names[i].name) == 0) {
            *type = icmp_names[i].type;
            *code = icmp_names[i].code;
            return 0;
        }
    char t[8];
    const char *colon = strchr(s, ':');
    size_t k = colon ? (size_t)(colon - s) : strlen(s);
    uint64_t n;
    if (k >= sizeof t)
        return -1;
    memcpy(t, s, k);
    t[k] = 0;
    if (kit_parse_uint(t, 255, &n) < 0)
        return -1;
    *type = (uint16_t)n;
    *code = CONFIG_ICMP_ANY;
    if (colon) {
        if (kit_parse_uint(colon + 1, 255, &n) < 0)
            return -1;
        *code = (uint16_t)n;
    }
    return 0;
}

/* N | N-M | any; ports 1-65535 ("any" also covers port 0). */
static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
    if (strcmp(s, "any") == 0) {
        *lo = 0;
        *hi = 65535;
        return 0;
    }
    char a[8];
    const char *dash = strchr(s, '-');
    size_t k = dash ? (size_t)(dash - s) : strlen(s);
    uint64_t x, y;
    if (k >= sizeof a)
        return -1;
    memcpy(a, s, k);
    a[k] = 0;
    if (kit_parse_uint(a, 65535, &x) < 0 || x == 0)
        return -1;
    y = x;
    if (dash && (kit_parse_uint(dash + 1, 65535, &y) < 0 || y < x))
        return -1;
    *lo = (uint16_t)x;
    *hi = (uint16_t)y;
    return 0;
}

static int parse_peer(const char *s, uint8_t a[4], uint8_t *prefix)
{
    if (strcmp(s, "any") == 0) {
        memset(a, 0, 4);
        *prefix = 0;
        return 0;
    }
    if (!strchr(s, '/')) {
        *prefix = 32;
        return config_parse_ipv4(s, a);
    }
    return config_parse_cidr(s, a, prefix);
}

static int same_rule(const struct config_fw_rule *a, const struct config_fw_rule *b)
{
    return a->proto == b->proto && a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
           a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
           memcmp(a->peer, b->peer, 4) == 0 && a->prefix == b->prefix;
}

static int rule(struct vctx *v, const struct conf_node *n, int inbound)
{
    struct config_firewall *fw = &v->c->firewall;
    const char *peer_word = inbound ? "from" : "to";
    char usage[96];
    snprintf(usage, sizeof usage, "e.g. %s tcp 443 %s 0.0.0.0/0 \"https\"", n->name, peer_word);
    if (kit_no_block(v, n) < 0)
        return -1;
    if (n->nargs < 3)
        return verr(v, n->line, n->col, "'%s' needs a protocol and a peer (%s)", n->name, usage);
    struct config_fw_rule r = { .icmp_type = CONFIG_ICMP_ANY, .icmp_code = CONFIG_ICMP_ANY,
                                .desc = "", .line = n->line };
    unsigned k = 0;
    const char *p = kit_arg(v, n, k)->s;
    uint64_t num;
    int wants_ports = 0, wants_icmp = 0;
    if (!strcmp(p, "tcp") || !strcmp(p, "udp")) {
        r.proto = p[0] == 't' ? CONFIG_PROTO_TCP : CONFIG_PROTO_UDP;
        wants_ports = 1;
    } else if (!strcmp(p, "icmp")) {
        r.proto = CONFIG_PROTO_ICMP;
        wants_icmp = 1;
    } else if (!strcmp(p, "all")) {
        r.proto = CONFIG_PROTO_ALL;
    } else if (kit_parse_uint(p, 255, &num) == 0) {
        if (num == CONFIG_PROTO_TCP || num == CONFIG_PROTO_UDP || num == CONFIG_PROTO_ICMP)
            return verr_arg(v, n, k, "protocol %s is %s: write '%s' and its %s", p,
                            num == 6 ? "tcp" : num == 17 ? "udp" : "icmp",
                            num == 6 ? "tcp" : num == 17 ? "udp" : "icmp", num == 1 ? "type" : "ports");
        r.proto = (uint16_t)num;
    } else {
        return verr_arg(v, n, k, "unknown protocol '%s' (use tcp, udp, icmp, all or a protocol "
                        "number 0-255)", p);
    }
    k++;
    if (wants_ports || wants_icmp) {
        const char *s = kit_arg(v, n, k)->s;
        if (!strcmp(s, peer_word))
            return verr_arg(v, n, k, "%s rule needs %s before '%s' (e.g. %s)", p,
                            wants_ports ? "a port, a range N-M or any" : "an ICMP type or any",
                            peer_word, wants_ports ? "443" : "echo-request");
        if (wants_ports && parse_ports(s, &r.port_lo, &r.port_hi) < 0)
            return verr_arg(v, n, k, "'%s' is not a port 1-65535, a range N-M of them, or any", s);
        if (wants_icmp && parse_icmp(s, &r.icmp_type, &r.icmp_code) < 0)
            return verr_arg(v, n, k, "'%s' is not an ICMP type: a name such as echo-request, "
                            "TYPE or TYPE:CODE (0-255), or any", s);
        k++;
    }
    if (k >= n->nargs || strcmp(kit_arg(v, n, k)->s, peer_word) != 0) {
        if (k >= n->nargs)
            return verr(v, n->line, n->col, "'%s' needs '%s PEER' (%s)", n->name, peer_word, usage);
        return verr_arg(v, n, k, "expected '%s' and a peer here, not '%s' (%s)", peer_word,
                        kit_arg(v, n, k)->s, usage);
    }
    if (++k >= n->nargs)
        return verr_arg(v, n, k - 1, "'%s' needs a peer: A.B.C.D/N, A.B.C.D or any", peer_word);
    const char *peer = kit_arg(v, n, k)->s;
    if (parse_peer(peer, r.peer, &r.prefix) < 0)
        return verr_arg(v, n, k, "'%s' is not a peer: A.B.C.D/N, A.B.C.D or any", peer);
    uint32_t a = (uint32_t)r.peer[0] << 24 | (uint32_t)r.peer[1] << 16 | (uint32_t)r.peer[2] << 8 | r.peer[3];
    uint32_t mask = r.prefix ? ~0u << (32 - r.prefix) : 0;
    if (a & ~mask) {
        a &= mask;
        return verr_arg(v, n, k, "'%s' has host bits set (did you mean %u.%u.%u.%u/%u?)", peer,
                        a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, r.prefix);
    }
    if (++k < n->nargs) {
        const struct conf_arg *d = kit_arg(v, n, k);
        if (!d->quoted)
            return verr_arg(v, n, k, "unexpected '%s' after the peer (a description is a "
                            "quoted string)", d->s);
        if (strlen(d->s) > CONFIG_DESC_MAX)
            return verr_arg(v, n, k, "description longer than %d bytes", CONFIG_DESC_MAX);
        for (const char *q = d->s; *q; q++)
            if ((unsigned char)*q < 0x20)
                return verr_arg(v, n, k, "a description is one line of text (no \\n or \\t)");
        if (!(r.desc = kit_keep(v, n, d->s)))
            return -1;
        if (++k < n->nargs)
            return verr_arg(v, n, k, "unexpected '%s' after the description", kit_arg(v, n, k)->s);
    }
    struct config_fw_rule *set = inbound ? fw->in : fw->out;
    unsigned *count = inbound ? &fw->nin : &fw->nout;
    for (unsigned i = 0; i < *count; i++)
        if (same_rule(&set[i], &r))
            return verr(v, n->line, n->col, "the same rule as line %u (remove one)", set[i].line);
    if (*count == CONFIG_FW_RULES_MAX)
        return verr(v, n->line, n->col, "more than %d %s rules (merge some: use port ranges or "
                    "wider CIDRs)", CONFIG_FW_RULES_MAX, n->name);
    set[(*count)++] = r;
    return 0;
}

int config_sec_firewall(struct vctx *v, const struct conf_node *sec)
{
    struct config_firewall *fw = &v->c->firewall;
    struct slot slot[] = { { "inbound", NULL, 1 }, { "outbound", NULL, 1 }, { "flows", NULL, 0 },
                           { "tcp-established-timeout", NULL, 0 }, { "udp-timeout", NULL, 0 },
                           { "udp-stream-timeout", NULL, 0 }, { "other-timeout", NULL, 0 } };
    if (kit_collect(v, sec, slot, sizeof slot / sizeof slot[0]) < 0)
        return -1;
    /* Rules repeat; the settings may each appear once. The first outbound
     * rule replaces the default allow-all (config_defaults). */
    int have_out = 0;
    for (int16_t i = sec->first_child; i >= 0; i = v->d->nodes[i].next) {
        const struct conf_node *n = &v->d->nodes[i];
        if (strcmp(n->name, "inbound") != 0 && strcmp(n->name, "outbound") != 0)
            continue;
        if (n->name[0] == 'o' && !have_out) {
            have_out = 1;
            fw->nout = 0;
        }
        if (rule(v, n, n->name[0] == 'i') < 0)
            return -1;
    }
    uint64_t x;
    /* Ranges follow AWS's configurable idle timeouts where it has them. */
    if (slot[2].node) {
        if (kit_uint(v, slot[2].node, 64, 1048576, &x) < 0)
            return -1;
        fw->flows = (uint32_t)x;
    }
    static const struct { uint64_t lo, hi; } range[] = {
        { 60, 432000 }, { 30, 60 }, { 60, 180 }, { 60, 600 },
    };
    uint32_t *dst[] = { &fw->tcp_established, &fw->udp, &fw->udp_stream, &fw->other };
    for (int i = 0; i < 4; i++) {
        const struct conf_node *n = slot[3 + i].node;
        if (!n)
            continue;
        if (kit_duration_ms(v, n, range[i].lo * 1000, range[i].hi * 1000, &x) < 0)
            return -1;
        if (x % 1000)
            return verr_arg(v, n, 0, "'%s' is whole seconds", n->name);
        *dst[i] = (uint32_t)(x / 1000);
    }
    return 0;
}

static void show_rule(struct sbuf *b, const char *dir, const struct config_fw_rule *r)
{
    sb_printf(b, "    %s ", dir);
    if (r->proto == CONFIG_PROTO_TCP || r->proto == CONFIG_PROTO_UDP) {
        sb_printf(b, "%s ", r->proto == CONFIG_PROTO_TCP ? "tcp" : "udp");
        if (r->port_lo == 0 && r->port_hi == 65535)
            sb_printf(b, "any ");
        else if (r->port_lo == r->port_hi)
            sb_printf(b, "%u ", r->port_lo);
        else
            sb_printf(b, "%u-%u ", r->port_lo, r->port_hi);
    } else if (r->proto == CONFIG_PROTO_ICMP) {
        const char *name = NULL;
        for (size_t i = 0; i < NICMP; i++)
            if (icmp_names[i].type == r->icmp_type && icmp_names[i].code == r->icmp_code)
                name = icmp_names[i].name;
        if (r->icmp_type == CONFIG_ICMP_ANY)
            sb_printf(b, "icmp any ");
        else if (name)
            sb_printf(b, "icmp %s ", name);
        else if (r->icmp_code == CONFIG_ICMP_ANY)
            sb_printf(b, "icmp %u ", r->icmp_type);
        else
            sb_printf(b, "icmp %u:%u ", r->icmp_type, r->icmp_code);
    } else if (r->proto == CONFIG_PROTO_ALL) {
        sb_printf(b, "all ");
    } else {
        sb_printf(b, "%u ", r->proto);
    }
    sb_printf(b, "%s %u.%u.%u.%u/%u", dir[0] == 'i' ? "from" : "to", r->peer[0], r->peer[1],
              r->peer[2], r->peer[3], r->prefix);
    if (r->desc[0]) {
        sb_printf(b, " ");
        sb_quoted(b, r->desc);
    }
    sb_printf(b, "\n");
}

void config_show_firewall(const struct config *c, struct sbuf *b)
{
    const struct config_firewall *fw = &c->firewall;
    sb_printf(b, "firewall {\n");
    for (unsigned i = 0; i < fw->nin; i++)
        show_rule(b, "inbound", &fw->in[i]);
    for (unsigned i = 0; i < fw->nout; i++)
        show_rule(b, "outbound", &fw->out[i]);
    sb_printf(b, "    flows %u\n    tcp-established-timeout ", fw->flows);
    sb_duration(b, fw->tcp_established * 1000ull);
    sb_printf(b, "\n    udp-timeout ");
    sb_duration(b, fw->udp * 1000ull);
    sb_printf(b, "\n    udp-stream-timeout ");
    sb_duration(b, fw->udp_stream * 1000ull);
    sb_printf(b, "\n    other-timeout ");
    sb_duration(b, fw->other * 1000ull);
    sb_printf(b, "\n}\n");
}
