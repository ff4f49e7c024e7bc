/* kernel/cmdline.c: command-line parsing (see cmdline.h). */
#include "kernel/cmdline.h"

#include <string.h>

int cmdline_parse(struct cmdline *c, const char *s)
{
    int rc = 0;
    c->nargs = 0;
    c->buf[0] = '\0';
    if (!s)
        return 0;
    size_t len = strlen(s);
    if (len >= sizeof c->buf) {
        len = sizeof c->buf - 1;
        rc = -1;
    }
    memcpy(c->buf, s, len);
    c->buf[len] = '\0';

    char *p = c->buf;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            *p++ = '\0';
        if (!*p)
            break;
        if (c->nargs == CMDLINE_MAX_ARGS)
            return -1;
        char *word = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if (*p)
            *p++ = '\0';
        char *eq = strchr(word, '=');
        c->args[c->nargs].key = word;
        if (eq) {
            *eq = '\0';
            c->args[c->nargs].val = eq + 1;
        } else {
            c->args[c->nargs].val = word + strlen(word); /* "" */
        }
        c->nargs++;
    }
    return rc;
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < c->nargs; i++)
        if (strcmp(c->args[i].key, key) == 0)
            v = c->args[i].val;
    return v;
}

/* A number at *s: decimal or 0x hex; advances *s. */
static int number(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    int base = 10, digits = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16, p += 2;
    for (;; p++, digits++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
              : base == 16 && (*p | 32) >= 'a' && (*p | 32) <= 'f' ? (*p | 32) - 'a' + 10 : -1;
        if (d < 0)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (!digits)
        return -1;
    *s = p;
    *out = v;
    return 0;
}

int cmdline_virtio_mmio(const char *val, uint64_t *base, uint64_t *size, uint32_t *irq)
{
    const char *p = val;
    uint64_t sz, b, i, id;
    if (number(&p, &sz) < 0)
        return -1;
    unsigned shift = *p == 'K' || *p == 'k' ? 10 : *p == 'M' || *p == 'm' ? 20 : *p == 'G' || *p == 'g' ? 30 : 0;
    if (shift) {
        if (sz > (UINT64_MAX >> shift))
            return -1;
        sz <<= shift;
        p++;
    }
    if (*p++ != '@' || number(&p, &b) < 0 || *p++ != ':' || number(&p, &i) < 0)
        return -1;
    if (*p == ':' && (p++, number(&p, &id) < 0))
        return -1;
    if (*p || !sz || b + sz < b || i == 0 || i > 255)
        return -1;
    *base = b;
    *size = sz;
    *irq = (uint32_t)i;
    return 0;
}
