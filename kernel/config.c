/* kernel/config.c: validation of the config tree into struct config (see
 * config.h). Table-driven: a table of sections, each with its handler; the
 * invariant is that every name in a document either matches a table entry
 * or is reported. */
#include "kernel/config.h"

#include <stdio.h>
#include <string.h>
#include "kernel/config_kit.h"
#include "kernel/cpio.h"

#define argp kit_arg
#define want_args kit_want_args

int config_parse_ipv4(const char *s, uint8_t out[4])
{
    /* Strict: four decimal parts 0-255, no leading zeros (neither octal
     * nor decimal is guessed), nothing after. */
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned v = 0, digits = 0;
        const char *start = s;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return -1;
        }
        if (digits > 1 && *start == '0')
            return -1;
        out[i] = (uint8_t)v;
        if (i < 3 && *s++ != '.')
            return -1;
    }
    return *s ? -1 : 0;
}

int config_parse_cidr(const char *s, uint8_t out[4], uint8_t *prefix)
{
    const char *slash = strchr(s, '/');
    char a[16];
    if (!slash || (size_t)(slash - s) >= sizeof a)
        return -1;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = 0;
    if (config_parse_ipv4(a, out) < 0)
        return -1;
    unsigned bits = 0, digits = 0;
    for (const char *p = slash + 1; *p; p++) {
        if (*p < '0' || *p > '9' || ++digits > 2)
            return -1;
        bits = bits * 10 + (unsigned)(*p - '0');
    }
    if (!digits || bits > 32)
        return -1;
    *prefix = (uint8_t)bits;
    return 0;
}

/* network { dhcp | address A.B.C.D/N [gateway A.B.C.D] } */
static int sec_network(struct vctx *v, const struct conf_node *sec)
{
    struct slot slot[] = { { "dhcp", NULL, 0 }, { "address", NULL, 0 }, { "gateway", NULL, 0 } };
    if (kit_collect(v, sec, slot, 3) < 0)
        return -1;
    const struct conf_node *dhcp = slot[0].node, *addr = slot[1].node, *gw = slot[2].node;
    if (dhcp && want_args(v, dhcp, 0, "write just: dhcp") < 0)
        return -1;
    if (addr) {
        if (want_args(v, addr, 1, "e.g. address 192.0.2.10/24") < 0)
            return -1;
        if (dhcp)
            return verr(v, addr->line, addr->col, "'address' and 'dhcp' exclude each other (keep one)");
        const struct conf_arg *a = argp(v, addr, 0);
        if (config_parse_cidr(a->s, v->c->network.addr, &v->c->network.prefix) < 0 ||
            v->c->network.prefix == 0)
            return verr(v, a->line, a->col, "'%s' is not an IPv4 address with a prefix length 1-32 "
                        "(e.g. 192.0.2.10/24)", a->s);
        v->c->network.dhcp = 0;
    }
    if (gw) {
        if (want_args(v, gw, 1, "e.g. gateway 192.0.2.1") < 0)
            return -1;
        if (!addr)
            return verr(v, gw->line, gw->col, "'gateway' needs a static 'address' (with dhcp the "
                        "gateway comes from the DHCP server)");
        const struct conf_arg *a = argp(v, gw, 0);
        if (config_parse_ipv4(a->s, v->c->network.gw) < 0)
            return verr(v, a->line, a->col, "'%s' is not an IPv4 address (e.g. 192.0.2.1)", a->s);
        v->c->network.has_gw = 1;
    }
    return 0;
}

/* log { level error|warn|info|debug } */
static int sec_log(struct vctx *v, const struct conf_node *sec)
{
    struct slot slot[] = { { "level", NULL, 0 } };
    if (kit_collect(v, sec, slot, 1) < 0)
        return -1;
    const struct conf_node *n = slot[0].node;
    if (n) {
        if (want_args(v, n, 1, "one of error, warn, info, debug") < 0)
            return -1;
        const struct conf_arg *a = argp(v, n, 0);
        if (log_level_parse(a->s, &v->c->log.level) < 0)
            return verr(v, a->line, a->col, "unknown log level '%s' (use error, warn, info or debug)", a->s);
    }
    return 0;
}

/* Invariant: every section the language has is in this table, in the
 * order `show` prints them. */
static const struct {
    const char *name;
    int (*fn)(struct vctx *, const struct conf_node *);
} sections[] = {
    { "network", sec_network },
    { "log", sec_log },
    { "tls", config_sec_tls },
    { "firewall", config_sec_firewall },
    { "limits", config_sec_limits },
    { "database", config_sec_database },
    { "auth", config_sec_auth },
    { "routes", config_sec_routes },
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->network.dhcp = 1;
    c->log.level = LOG_INFO;
    /* A new AWS security group: no inbound rule, all outbound allowed;
     * AWS's connection-tracking idle timeouts. */
    c->firewall.out[0] = (struct config_fw_rule){ .proto = CONFIG_PROTO_ALL, .icmp_type = CONFIG_ICMP_ANY,
                                                  .icmp_code = CONFIG_ICMP_ANY, .desc = "" };
    c->firewall.nout = 1;
    c->firewall.flows = 4096;
    c->firewall.tcp_established = 432000;
    c->firewall.udp = 30;
    c->firewall.udp_stream = 180;
    c->firewall.other = 600;
    /* nginx's defaults, tightened where a slow client could hold a slot
     * (header and body timeouts). */
    c->limits = (struct config_limits){
        .connections = 256, .header_timeout_ms = 10000, .body_timeout_ms = 30000,
        .send_timeout_ms = 30000, .keepalive_timeout_ms = 60000, .keepalive_requests = 1000,
        .drain_timeout_ms = 10000, .request_line_max = 8192, .header_max = 16384, .headers_max = 100, .body_max = 1 << 20,
    };
    /* TLS: nginx-like session reuse, a handshake bound well above a slow
     * mobile client's, HSTS for a year, port 80 redirected. */
    c->tls.session_cache = 4096;
    c->tls.session_timeout_s = 3600;
    c->tls.handshake_timeout_ms = 10000;
    c->tls.hsts = 1;
    c->tls.hsts_s = 365u * 86400;
    c->tls.plain_http = CONFIG_PLAIN_REDIRECT;
    c->tls.https_port = 443;
    c->database.cache_bytes = 2 << 20;
    c->database.statement_timeout_ms = 250;
    c->database.memory_bytes = 32 << 20;
    c->database.idempotency_s = 24 * 3600;
    /* Set without an auth section too: sql routes' hash-password uses the
     * password settings either way. */
    config_auth_defaults(&c->auth);
}

int config_build(struct config *c, const struct conf_doc *d, const struct config_files *files,
                 char *err, size_t errlen)
{
    struct vctx v = { d, files, c, err, errlen };
    uint32_t seen_line[NSECTIONS] = { 0 };
    config_defaults(c);
    if (errlen)
        err[0] = 0;
    for (int16_t i = d->first; i >= 0; i = d->nodes[i].next) {
        const struct conf_node *n = &d->nodes[i];
        size_t k = 0;
        while (k < NSECTIONS && strcmp(sections[k].name, n->name) != 0)
            k++;
        if (k == NSECTIONS)
            return verr(&v, n->line, n->col, "unknown section '%s' (known: network, log, tls, "
                        "firewall, limits, database, auth, routes)", n->name);
        if (seen_line[k])
            return verr(&v, n->line, n->col, "section '%s' given twice (first at line %u)", n->name,
                        seen_line[k]);
        seen_line[k] = n->line;
        if (n->nargs)
            return verr(&v, d->args[n->first_arg].line, d->args[n->first_arg].col,
                        "'%s' takes no arguments before its block", n->name);
        if (!n->has_block)
            return verr(&v, n->line, n->col, "'%s' needs a block: %s { ... }", n->name, n->name);
        if (sections[k].fn(&v, n) < 0)
            return -1;
    }
    if (config_check_routes(&v) < 0)
        return -1;
    return config_check_auth(&v);
}

/* The blob as a config_files resolver: files are archive entries, a
 * directory is every entry under its name. */
struct blob_ref { const uint8_t *p; size_t len; };

static int blob_get(void *ctx, const char *path, const uint8_t **data, size_t *len)
{
    const struct blob_ref *b = ctx;
    struct cpio_entry e;
    if (cpio_find(b->p, b->len, path, &e) < 0 || e.is_dir)
        return -1;
    *data = e.data;
    *len = e.size;
    return 0;
}

static int blob_list(void *ctx, const char *dir, config_file_fn fn, void *arg)
{
    const struct blob_ref *b = ctx;
    struct cpio_entry e;
    size_t k = strlen(dir);
    int count = 0;
    for (size_t i = 0; cpio_entry_at(b->p, b->len, i, &e) == 0; i++) {
        if (e.is_dir || strncmp(e.name, dir, k) != 0 || e.name[k] != '/')
            continue;
        if (fn(arg, e.name, e.data, e.size) < 0)
            return -1;
        count++;
    }
    return count ? count : -1;
}

size_t config_named(const struct config *c, struct config_named *out, size_t max)
{
    size_t n = 0;
#define ADD(p, d, s) do { if (n < max) out[n++] = (struct config_named){ p, d, s }; } while (0)
    for (unsigned i = 0; c->tls.enabled && i < c->tls.ncert; i++) {
        /* Key first: a combined PEM (one file for both) is listed once, as
         * the secret it is. */
        const struct config_tls_cert *t = &c->tls.cert[i];
        ADD(t->key.path, 0, 1);
        if (strcmp(t->certificate.path, t->key.path) != 0)
            ADD(t->certificate.path, 0, 0);
    }
    if (c->database.migrations)
        ADD(c->database.migrations, 1, 0);
    /* An HS256 key is a secret like a TLS key; an ES256 key is public. */
    for (unsigned i = 0; c->auth.enabled && i < c->auth.njwt; i++)
        ADD(c->auth.jwt[i].file.path, 0, !c->auth.jwt[i].es256);
    for (unsigned i = 0; i < c->nroutes; i++)
        if (c->routes[i].kind == CONFIG_ROUTE_STATIC)
            ADD(c->routes[i].target, c->routes[i].target_is_dir, 0);
#undef ADD
    return n;
}

int config_load_blob(struct config *c, struct conf_doc *doc, const uint8_t *blob, size_t len,
                     char *err, size_t errlen)
{
    struct blob_ref ref = { blob, len };
    struct config_files files = { blob_get, blob_list, &ref };
    size_t count;
    struct cpio_entry e;
    if (cpio_validate(blob, len, &count, err, errlen) < 0)
        return -1;
    if (cpio_find(blob, len, CONFIG_FILE, &e) < 0 || e.is_dir) {
        snprintf(err, errlen, "the blob has no %s (pack it with: apctl pack %s -o blob)", CONFIG_FILE,
                 CONFIG_FILE);
        return -1;
    }
    if (conf_parse(doc, (const char *)e.data, e.size, CONFIG_FILE, err, errlen) < 0)
        return -1;
    if (config_build(c, doc, &files, err, errlen) < 0)
        return -1;
    c->blob = blob;
    c->blob_len = len;
    return 0;
}

int config_blob_entry(const struct config *c, size_t i, struct config_entry *e)
{
    struct cpio_entry ce;
    if (!c->blob || cpio_entry_at(c->blob, c->blob_len, i, &ce) < 0)
        return -1;
    *e = (struct config_entry){ ce.name, ce.data, ce.size, ce.is_dir, ce.mtime };
    return 0;
}

size_t config_show(const struct config *c, char *buf, size_t cap)
{
    struct sbuf b = { buf, cap, 0 };
    if (cap)
        buf[0] = 0;
    if (c->network.dhcp) {
        sb_printf(&b, "network {\n    dhcp\n}\n");
    } else {
        const uint8_t *a = c->network.addr, *g = c->network.gw;
        sb_printf(&b, "network {\n    address %u.%u.%u.%u/%u\n", a[0], a[1], a[2], a[3], c->network.prefix);
        if (c->network.has_gw)
            sb_printf(&b, "    gateway %u.%u.%u.%u\n", g[0], g[1], g[2], g[3]);
        sb_printf(&b, "}\n");
    }
    static const char *const lv[] = { "error", "warn", "info", "debug" };
    sb_printf(&b, "log {\n    level %s\n}\n", lv[c->log.level & 3]);
    config_show_tls(c, &b);
    config_show_firewall(c, &b);
    config_show_limits(c, &b);
    config_show_database(c, &b);
    config_show_auth(c, &b);
    config_show_routes(c, &b);
    return b.len;
}

static int inbound_allows_tcp(const struct config *c, unsigned port)
{
    for (unsigned i = 0; i < c->firewall.nin; i++) {
        const struct config_fw_rule *r = &c->firewall.in[i];
        if (r->proto == CONFIG_PROTO_ALL ||
            (r->proto == CONFIG_PROTO_TCP && r->port_lo <= port && port <= r->port_hi))
            return 1;
    }
    return 0;
}

size_t config_warnings(const struct config *c, char *buf, size_t cap)
{
    struct sbuf b = { buf, cap, 0 };
    if (cap)
        buf[0] = 0;
    if (c->firewall.nin == 0)
        sb_printf(&b, "warning: no inbound firewall rule: every inbound packet is dropped "
                  "(add e.g. inbound tcp 443 from 0.0.0.0/0 to firewall)\n");
    else if (c->nroutes && !inbound_allows_tcp(c, 80) && !inbound_allows_tcp(c, 443))
        sb_printf(&b, "warning: routes are configured but no inbound firewall rule admits tcp 80 "
                  "or 443 (add e.g. inbound tcp 443 from 0.0.0.0/0)\n");
    if (c->tls.enabled && c->firewall.nin && !inbound_allows_tcp(c, 443))
        sb_printf(&b, "warning: tls is configured but no inbound firewall rule admits tcp 443\n");
    config_warn_auth(c, &b);
    return b.len;
}
