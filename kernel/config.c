/* kernel/config.c: validation of the config tree into struct config (see
 * config.h). Table-driven: a table of sections, each with its handler; the
 * invariant is that every name in a document either matches a table entry
 * or is reported. */
#include "kernel/config.h"

#include <stdio.h>
#include <string.h>
#include "kernel/cpio.h"

struct vctx {
    const struct conf_doc *d;
    const struct config_files *files;
    struct config *c;
    char *err;
    size_t errlen;
};

#define verr(v, line, col, ...) conf_errorf((v)->err, (v)->errlen, (v)->d->filename, line, col, __VA_ARGS__)

static const struct conf_arg *argp(const struct vctx *v, const struct conf_node *n, unsigned k)
{
    return &v->d->args[n->first_arg + k];
}

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

/* A section's directives that may each appear once. collect() fills
 * slot[k].node from the section's children by name; an unknown name or a
 * repeat is an error naming the known ones. */
struct slot { const char *name; const struct conf_node *node; };

static int collect(struct vctx *v, const struct conf_node *sec, struct slot *slot, size_t n)
{
    for (int16_t i = sec->first_child; i >= 0; i = v->d->nodes[i].next) {
        const struct conf_node *nd = &v->d->nodes[i];
        size_t k = 0;
        while (k < n && strcmp(slot[k].name, nd->name) != 0)
            k++;
        if (k == n) {
            char known[128] = "";
            for (size_t j = 0; j < n; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                         slot[j].name);
            return verr(v, nd->line, nd->col, "unknown directive '%s' in %s (known: %s)", nd->name,
                        sec->name, known);
        }
        if (slot[k].node)
            return verr(v, nd->line, nd->col, "'%s' given twice in %s (first at line %u)", nd->name,
                        sec->name, slot[k].node->line);
        slot[k].node = nd;
    }
    return 0;
}

static int no_block(struct vctx *v, const struct conf_node *n)
{
    if (n->has_block)
        return verr(v, n->line, n->col, "'%s' does not take a block", n->name);
    return 0;
}

static int want_args(struct vctx *v, const struct conf_node *n, unsigned k, const char *usage)
{
    if (no_block(v, n) < 0)
        return -1;
    if (n->nargs != k) {
        const struct conf_arg *a = n->nargs > k ? argp(v, n, k) : NULL;
        return verr(v, a ? a->line : n->line, a ? a->col : n->col, "'%s' takes %u argument%s (%s)",
                    n->name, k, k == 1 ? "" : "s", usage);
    }
    return 0;
}

/* network { dhcp | address A.B.C.D/N [gateway A.B.C.D] } */
static int sec_network(struct vctx *v, const struct conf_node *sec)
{
    struct slot slot[] = { { "dhcp", NULL }, { "address", NULL }, { "gateway", NULL } };
    if (collect(v, sec, slot, 3) < 0)
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
    struct slot slot[] = { { "level", NULL } };
    if (collect(v, sec, slot, 1) < 0)
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

static int contains(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

/* A path argument naming a file of the blob: safe, resolvable. */
static int take_file(struct vctx *v, const struct conf_node *n, struct config_file *f)
{
    const struct conf_arg *a = argp(v, n, 0);
    if (strlen(a->s) >= CONFIG_PATH_MAX || !cpio_name_ok(a->s) || strcmp(a->s, CONFIG_FILE) == 0)
        return verr(v, a->line, a->col, "'%s' is not a usable file name (relative to appliance.conf, "
                    "no '..', shorter than %d bytes)", a->s, CONFIG_PATH_MAX);
    strcpy(f->path, a->s);
    if (!v->files || v->files->get(v->files->ctx, f->path, &f->data, &f->len) < 0)
        return verr(v, a->line, a->col, "file '%s' not found (put it next to appliance.conf; "
                    "apctl pack takes it into the blob)", a->s);
    return 0;
}

/* tls { certificate PATH  key PATH }: PEM files in the blob. Only their
 * shape is checked here; parsing and the key/certificate match come with
 * the TLS listener. */
static int sec_tls(struct vctx *v, const struct conf_node *sec)
{
    struct slot slot[] = { { "certificate", NULL }, { "key", NULL } };
    if (collect(v, sec, slot, 2) < 0)
        return -1;
    const struct conf_node *cert = slot[0].node, *key = slot[1].node;
    if (cert && want_args(v, cert, 1, "e.g. certificate tls/fullchain.pem") < 0)
        return -1;
    if (key && want_args(v, key, 1, "e.g. key tls/key.pem") < 0)
        return -1;
    if (!cert || !key)
        return verr(v, sec->line, sec->col, "tls needs both 'certificate' and 'key'");
    struct config_file *cf = &v->c->tls.certificate, *kf = &v->c->tls.key;
    if (take_file(v, cert, cf) < 0 || take_file(v, key, kf) < 0)
        return -1;
    if (!contains(cf->data, cf->len, "-----BEGIN CERTIFICATE-----"))
        return verr(v, argp(v, cert, 0)->line, argp(v, cert, 0)->col,
                    "'%s' holds no PEM certificate (want -----BEGIN CERTIFICATE-----)", cf->path);
    if (!contains(kf->data, kf->len, "-----BEGIN ") || !contains(kf->data, kf->len, "PRIVATE KEY-----"))
        return verr(v, argp(v, key, 0)->line, argp(v, key, 0)->col,
                    "'%s' holds no PEM private key (want -----BEGIN ... PRIVATE KEY-----)", kf->path);
    if (contains(kf->data, kf->len, "ENCRYPTED"))
        return verr(v, argp(v, key, 0)->line, argp(v, key, 0)->col,
                    "'%s' is an encrypted key: the appliance has no passphrase to open it "
                    "(export it unencrypted, e.g. openssl pkey -in k.pem -out key.pem)", kf->path);
    v->c->tls.enabled = 1;
    return 0;
}

/* Invariant: every section the language has is in this table. */
static const struct {
    const char *name;
    int (*fn)(struct vctx *, const struct conf_node *);
} sections[] = {
    { "network", sec_network },
    { "log", sec_log },
    { "tls", sec_tls },
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->network.dhcp = 1;
    c->log.level = LOG_INFO;
}

int config_build(struct config *c, const struct conf_doc *d, const struct config_files *files,
                 char *err, size_t errlen)
{
    struct vctx v = { d, files, c, err, errlen };
    uint32_t seen_line[NSECTIONS] = { 0 };
    config_defaults(c);
    for (int16_t i = d->first; i >= 0; i = d->nodes[i].next) {
        const struct conf_node *n = &d->nodes[i];
        size_t k = 0;
        while (k < NSECTIONS && strcmp(sections[k].name, n->name) != 0)
            k++;
        if (k == NSECTIONS)
            return verr(&v, n->line, n->col, "unknown section '%s' (known: network, log, tls)", n->name);
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
    return 0;
}

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

size_t config_named_files(const struct config *c, const struct config_file **out, size_t max)
{
    size_t n = 0;
    if (c->tls.enabled && n + 2 <= max) {
        /* Key first: a combined PEM (one file for both) is listed once, as
         * the secret it is. */
        out[n++] = &c->tls.key;
        if (strcmp(c->tls.certificate.path, c->tls.key.path) != 0)
            out[n++] = &c->tls.certificate;
    }
    return n;
}

int config_load_blob(struct config *c, struct conf_doc *doc, const uint8_t *blob, size_t len,
                     char *err, size_t errlen)
{
    struct blob_ref ref = { blob, len };
    struct config_files files = { blob_get, &ref };
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
    return config_build(c, doc, &files, err, errlen);
}

size_t config_show(const struct config *c, char *buf, size_t cap)
{
    int n;
    if (c->network.dhcp) {
        n = snprintf(buf, cap, "network {\n    dhcp\n}\n");
    } else {
        const uint8_t *a = c->network.addr, *g = c->network.gw;
        char gwline[40] = "";
        if (c->network.has_gw)
            snprintf(gwline, sizeof gwline, "    gateway %u.%u.%u.%u\n", g[0], g[1], g[2], g[3]);
        n = snprintf(buf, cap, "network {\n    address %u.%u.%u.%u/%u\n%s}\n", a[0], a[1], a[2], a[3],
                     c->network.prefix, gwline);
    }
    size_t len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    static const char *const lv[] = { "error", "warn", "info", "debug" };
    n = snprintf(buf + len, cap - len, "log {\n    level %s\n}\n", lv[c->log.level & 3]);
    len += n < 0 ? 0 : (size_t)n >= cap - len ? cap - len - 1 : (size_t)n;
    if (c->tls.enabled && len < cap - 1) {
        n = snprintf(buf + len, cap - len, "tls {\n    certificate %s\n    key %s\n}\n",
                     c->tls.certificate.path, c->tls.key.path);
        len += n < 0 ? 0 : (size_t)n >= cap - len ? cap - len - 1 : (size_t)n;
    }
    return len;
}
