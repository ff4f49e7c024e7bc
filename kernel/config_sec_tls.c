/* kernel/config_sec_tls.c: the config's tls section (docs/config.md,
 * docs/tls.md): the default certificate and key, certificates chosen by
 * SNI (`host NAME... { certificate; key }`), the session cache, the
 * handshake timeout, HSTS and what port 80 does. Pure, like the rest of
 * the config; the PEM decoding and key match are config_tls_check's.
 *
 *   config_sec_tls(v, sec)     validate into v->c->tls
 *   config_show_tls(c, b)      the effective section (file names, never key bytes)
 */
#include "kernel/config_kit.h"

#include <string.h>
#include "kernel/config_tls.h"

static int contains(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

/* certificate FILE and key FILE from the block sec (the section or a host
 * block) into t: a quick look at their shape first gives the plainest
 * message for the commonest mistakes, then config_tls_check decodes both
 * and matches the key to the certificate. */
static int cert_pair(struct vctx *v, const struct conf_node *sec, const char *where,
                     struct config_tls_cert *t, struct slot *slot)
{
    const struct conf_node *cert = slot[0].node, *key = slot[1].node;
    if (cert && kit_want_args(v, cert, 1, "e.g. certificate tls/fullchain.pem") < 0)
        return -1;
    if (key && kit_want_args(v, key, 1, "e.g. key tls/key.pem") < 0)
        return -1;
    if (!cert || !key)
        return verr(v, sec->line, sec->col, "%s needs both 'certificate' and 'key'", where);
    struct config_file *cf = &t->certificate, *kf = &t->key;
    if (kit_file(v, cert, 0, cf) < 0 || kit_file(v, key, 0, kf) < 0)
        return -1;
    if (!contains(cf->data, cf->len, "-----BEGIN CERTIFICATE-----"))
        return verr_arg(v, cert, 0, "'%s' holds no PEM certificate (want -----BEGIN CERTIFICATE-----)",
                        cf->path);
    if (!contains(kf->data, kf->len, "-----BEGIN ") || !contains(kf->data, kf->len, "PRIVATE KEY-----"))
        return verr_arg(v, key, 0, "'%s' holds no PEM private key (want -----BEGIN ... PRIVATE KEY-----)",
                        kf->path);
    if (contains(kf->data, kf->len, "ENCRYPTED"))
        return verr_arg(v, key, 0, "'%s' is an encrypted key: the appliance has no passphrase to open it "
                        "(export it unencrypted, e.g. openssl pkey -in k.pem -out key.pem)", kf->path);
    char why[200];
    struct config_tls_info info;
    int rc = config_tls_check(cf->data, cf->len, kf->data, kf->len, &info, why, sizeof why);
    if (rc == CONFIG_TLS_BAD_CERT)
        return verr_arg(v, cert, 0, "'%s': %s", cf->path, why);
    if (rc < 0)
        return verr_arg(v, key, 0, "'%s': %s", kf->path, why);
    t->chain_len = info.chain_len;
    t->key_is_ec = info.key_is_ec;
    t->key_bits = info.key_bits;
    t->line = sec->line;
    return 0;
}

/* A server name as SNI carries it (RFC 6066 3: a DNS host name, no IP
 * literal, no trailing dot), optionally "*." and a name: labels of
 * letters, digits and '-' (not first or last), 1-63 bytes, 253 in all.
 * Lowered into out. 0 or -1. */
static int host_name(const char *s, char *out)
{
    size_t n = strlen(s), i = 0;
    if (n == 0 || n > CONFIG_TLS_NAME_MAX)
        return -1;
    if (s[0] == '*') {
        if (s[1] != '.')
            return -1;
        out[0] = '*', out[1] = '.';
        i = 2;
    }
    size_t label = 0;
    for (; i <= n; i++) {
        char ch = s[i];
        if (ch == '.' || ch == 0) {
            if (label == 0 || s[i - 1] == '-')
                return -1;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                   (ch == '-' && label > 0)) {
            if (++label > 63)
                return -1;
            if (ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + 32);
        } else {
            return -1;
        }
        out[i] = ch;
    }
    return 0;
}

/* host NAME... { certificate FILE; key FILE } */
static int host_block(struct vctx *v, const struct conf_node *n)
{
    struct config_tls *t = &v->c->tls;
    if (t->ncert == 1 + CONFIG_TLS_HOSTS_MAX)
        return verr(v, n->line, n->col, "more than %u host blocks in tls", CONFIG_TLS_HOSTS_MAX);
    if (!n->nargs || !n->has_block)
        return verr(v, n->line, n->col, "'host' takes server names and a block "
                    "(e.g. host api.example.com { certificate tls/api.pem; key tls/api-key.pem })");
    if (n->nargs > CONFIG_TLS_NAMES_MAX)
        return verr_arg(v, n, CONFIG_TLS_NAMES_MAX, "at most %u names in one host block",
                        CONFIG_TLS_NAMES_MAX);
    struct config_tls_cert *h = &t->cert[t->ncert];
    for (unsigned k = 0; k < n->nargs; k++) {
        char name[CONFIG_TLS_NAME_MAX + 1];
        const char *s = kit_arg(v, n, k)->s;
        if (host_name(s, name) < 0)
            return verr_arg(v, n, k, "'%s' is not a server name (a DNS name such as api.example.com, "
                            "or *.example.com; no IP address, port or trailing dot)", s);
        for (unsigned i = 1; i <= t->ncert; i++)
            for (unsigned j = 0; j < t->cert[i].nnames; j++)
                if ((i < t->ncert || j < h->nnames) && !strcmp(t->cert[i].names[j], name))
                    return verr_arg(v, n, k, "'%s' is named twice (once per certificate)", name);
        if (!(h->names[h->nnames++] = kit_keep(v, n, name)))
            return -1;
    }
    struct slot slot[] = { { "certificate", NULL, 0 }, { "key", NULL, 0 } };
    if (kit_collect_in(v, n, "a host block", slot, 2) < 0)
        return -1;
    if (cert_pair(v, n, "a host block", h, slot) < 0)
        return -1;
    t->ncert++;
    return 0;
}

/* hsts off | DURATION [include-subdomains] [preload] */
static int hsts(struct vctx *v, const struct conf_node *n)
{
    struct config_tls *t = &v->c->tls;
    const char *usage = "e.g. hsts 365d include-subdomains, or hsts off";
    if (kit_no_block(v, n) < 0)
        return -1;
    if (!n->nargs || n->nargs > 3)
        return verr(v, n->line, n->col, "'hsts' takes a max-age and options (%s)", usage);
    const char *s = kit_arg(v, n, 0)->s;
    if (!strcmp(s, "off")) {
        if (n->nargs > 1)
            return verr_arg(v, n, 1, "'hsts off' takes nothing more");
        t->hsts = 0;
        return 0;
    }
    uint64_t ms;
    if (kit_parse_duration_ms(s, &ms) < 0 || ms % 1000 || ms > 2ull * 365 * 86400 * 1000)
        return verr_arg(v, n, 0, "'%s' is not a max-age in whole seconds up to 730d (%s)", s, usage);
    t->hsts = 1;
    t->hsts_s = (uint32_t)(ms / 1000);
    t->hsts_subdomains = t->hsts_preload = 0;
    for (unsigned k = 1; k < n->nargs; k++) {
        const char *o = kit_arg(v, n, k)->s;
        int *flag = !strcmp(o, "include-subdomains") ? &t->hsts_subdomains
                    : !strcmp(o, "preload")          ? &t->hsts_preload : NULL;
        if (!flag)
            return verr_arg(v, n, k, "unknown hsts option '%s' (include-subdomains, preload)", o);
        if (*flag)
            return verr_arg(v, n, k, "'%s' given twice", o);
        *flag = 1;
    }
    /* The preload list's own rules (hstspreload.org): a year at least,
     * and every subdomain too. */
    if (t->hsts_preload && (t->hsts_s < 365u * 86400 || !t->hsts_subdomains))
        return verr(v, n->line, n->col, "hsts preload needs a max-age of 365d or more and "
                    "include-subdomains (the preload list's rules)");
    return 0;
}

int config_sec_tls(struct vctx *v, const struct conf_node *sec)
{
    struct config_tls *t = &v->c->tls;
    struct slot slot[] = { { "certificate", NULL, 0 }, { "key", NULL, 0 }, { "host", NULL, 1 },
                           { "session-cache", NULL, 0 }, { "session-timeout", NULL, 0 },
                           { "handshake-timeout", NULL, 0 }, { "hsts", NULL, 0 },
                           { "plain-http", NULL, 0 }, { "https-port", NULL, 0 } };
    if (kit_collect(v, sec, slot, sizeof slot / sizeof slot[0]) < 0)
        return -1;
    if (cert_pair(v, sec, "tls", &t->cert[0], slot) < 0)
        return -1;
    t->ncert = 1;
    for (int16_t i = sec->first_child; i >= 0; i = v->d->nodes[i].next)
        if (!strcmp(v->d->nodes[i].name, "host") && host_block(v, &v->d->nodes[i]) < 0)
            return -1;
    uint64_t x;
    if (slot[3].node) {
        if (kit_uint(v, slot[3].node, 0, CONFIG_TLS_SESSIONS_MAX, &x) < 0)
            return -1;
        t->session_cache = (uint32_t)x;
    }
    if (slot[4].node) {
        if (kit_duration_ms(v, slot[4].node, 60000, 86400000, &x) < 0)
            return -1;
        t->session_timeout_s = (uint32_t)(x / 1000);
    }
    if (slot[5].node) {
        if (kit_duration_ms(v, slot[5].node, 1000, 60000, &x) < 0)
            return -1;
        t->handshake_timeout_ms = (uint32_t)x;
    }
    if (slot[6].node && hsts(v, slot[6].node) < 0)
        return -1;
    if (slot[7].node) {
        const struct conf_node *o = slot[7].node;
        if (kit_want_args(v, o, 1, "plain-http redirect or plain-http serve") < 0)
            return -1;
        const char *s = kit_arg(v, o, 0)->s;
        if (strcmp(s, "serve") && strcmp(s, "redirect"))
            return verr_arg(v, o, 0, "'%s': plain-http takes redirect or serve", s);
        t->plain_http = !strcmp(s, "serve") ? CONFIG_PLAIN_SERVE : CONFIG_PLAIN_REDIRECT;
    }
    if (slot[8].node) {
        if (kit_uint(v, slot[8].node, 1, 65535, &x) < 0)
            return -1;
        t->https_port = (uint16_t)x;
    }
    t->enabled = 1;
    return 0;
}

static void show_pair(struct sbuf *b, const struct config_tls_cert *c, const char *indent)
{
    sb_printf(b, "%scertificate ", indent);
    sb_value(b, c->certificate.path);
    sb_printf(b, "\n%skey ", indent);
    sb_value(b, c->key.path);
    sb_printf(b, "\n");
}

void config_show_tls(const struct config *c, struct sbuf *b)
{
    const struct config_tls *t = &c->tls;
    if (!t->enabled)
        return;
    sb_printf(b, "tls {\n");
    show_pair(b, &t->cert[0], "    ");
    for (unsigned i = 1; i < t->ncert; i++) {
        sb_printf(b, "    host");
        for (unsigned k = 0; k < t->cert[i].nnames; k++)
            sb_printf(b, " %s", t->cert[i].names[k]);
        sb_printf(b, " {\n");
        show_pair(b, &t->cert[i], "        ");
        sb_printf(b, "    }\n");
    }
    sb_printf(b, "    session-cache %u\n    session-timeout ", t->session_cache);
    sb_duration(b, (uint64_t)t->session_timeout_s * 1000);
    sb_printf(b, "\n    handshake-timeout ");
    sb_duration(b, t->handshake_timeout_ms);
    if (t->hsts) {
        sb_printf(b, "\n    hsts ");
        sb_duration(b, (uint64_t)t->hsts_s * 1000);
        sb_printf(b, "%s%s", t->hsts_subdomains ? " include-subdomains" : "", t->hsts_preload ? " preload" : "");
    } else {
        sb_printf(b, "\n    hsts off");
    }
    sb_printf(b, "\n    plain-http %s\n    https-port %u\n}\n",
              t->plain_http == CONFIG_PLAIN_SERVE ? "serve" : "redirect", t->https_port);
}
