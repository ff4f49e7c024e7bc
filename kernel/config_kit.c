/* kernel/config_kit.c: the helpers every section validator shares (see
 * config_kit.h). */
#include "kernel/config_kit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kernel/cpio.h"

const struct conf_arg *kit_arg(const struct vctx *v, const struct conf_node *n, unsigned k)
{
    return &v->d->args[n->first_arg + k];
}

int kit_collect(struct vctx *v, const struct conf_node *sec, struct slot *slot, size_t n)
{
    return kit_collect_in(v, sec, sec->name, slot, n);
}

int kit_collect_in(struct vctx *v, const struct conf_node *sec, const char *where, struct slot *slot,
                   size_t n)
{
    for (int16_t i = sec->first_child; i >= 0; i = v->d->nodes[i].next) {
        const struct conf_node *nd = &v->d->nodes[i];
        size_t k = 0;
        while (k < n && strcmp(slot[k].name, nd->name) != 0)
            k++;
        if (k == n) {
            char known[512] = "";
            for (size_t j = 0; j < n; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "",
                         slot[j].name);
            return verr(v, nd->line, nd->col, "unknown directive '%s' in %s (known: %s)", nd->name,
                        where, known);
        }
        /* Two directives on one line ("disk vdb migrations db") read as
         * one with extra arguments: say so rather than count arguments. */
        for (unsigned a = 1; a < nd->nargs && !(slot[k].repeats & KIT_FREE_WORDS); a++) {
            const struct conf_arg *arg = kit_arg(v, nd, a);
            for (size_t j = 0; j < n && !arg->quoted; j++)
                if (strcmp(arg->s, slot[j].name) == 0)
                    return verr(v, arg->line, arg->col, "'%s' starts a new directive: end '%s' "
                                "before it with ';' or a newline", arg->s, nd->name);
        }
        if (slot[k].node && slot[k].repeats)
            continue;
        if (slot[k].node)
            return verr(v, nd->line, nd->col, "'%s' given twice in %s (first at line %u)", nd->name,
                        where, slot[k].node->line);
        slot[k].node = nd;
    }
    return 0;
}

int kit_no_block(struct vctx *v, const struct conf_node *n)
{
    if (n->has_block)
        return verr(v, n->line, n->col, "'%s' does not take a block", n->name);
    return 0;
}

int kit_want_args(struct vctx *v, const struct conf_node *n, unsigned k, const char *usage)
{
    if (kit_no_block(v, n) < 0)
        return -1;
    if (n->nargs != k) {
        const struct conf_arg *a = n->nargs > k ? kit_arg(v, n, k) : NULL;
        return verr(v, a ? a->line : n->line, a ? a->col : n->col, "'%s' takes %u argument%s (%s)",
                    n->name, k, k == 1 ? "" : "s", usage);
    }
    return 0;
}

int kit_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s || (s[0] == '0' && s[1]))
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The digits of s, then its suffix in *unit. */
static int split_number(const char *s, uint64_t *num, const char **unit)
{
    char digits[24];
    size_t k = 0;
    while (s[k] >= '0' && s[k] <= '9')
        k++;
    if (k == 0 || k >= sizeof digits)
        return -1;
    memcpy(digits, s, k);
    digits[k] = 0;
    *unit = s + k;
    return kit_parse_uint(digits, UINT64_MAX / (1024ull * 1024 * 1024 * 1024), num);
}

int kit_parse_duration_ms(const char *s, uint64_t *out)
{
    static const struct { const char *u; uint64_t ms; } units[] = {
        { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    uint64_t n;
    const char *unit;
    if (split_number(s, &n, &unit) < 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].u) == 0) {
            *out = n * units[i].ms;
            return 0;
        }
    return -1;
}

int kit_parse_size(const char *s, uint64_t *out)
{
    uint64_t n;
    const char *unit;
    if (split_number(s, &n, &unit) < 0)
        return -1;
    uint64_t mul = !*unit ? 1 : !strcmp(unit, "k") ? 1024 : !strcmp(unit, "m") ? 1024 * 1024
                 : !strcmp(unit, "g") ? 1024 * 1024 * 1024 : 0;
    if (!mul)
        return -1;
    *out = n * mul;
    return 0;
}

static void fmt_duration(char *buf, size_t cap, uint64_t ms)
{
    if (ms && ms % 86400000 == 0)
        snprintf(buf, cap, "%llud", (unsigned long long)(ms / 86400000));
    else if (ms && ms % 3600000 == 0)
        snprintf(buf, cap, "%lluh", (unsigned long long)(ms / 3600000));
    else if (ms && ms % 60000 == 0)
        snprintf(buf, cap, "%llum", (unsigned long long)(ms / 60000));
    else if (ms % 1000 == 0)
        snprintf(buf, cap, "%llus", (unsigned long long)(ms / 1000));
    else
        snprintf(buf, cap, "%llums", (unsigned long long)ms);
}

static void fmt_size(char *buf, size_t cap, uint64_t b)
{
    if (b && b % (1024 * 1024 * 1024) == 0)
        snprintf(buf, cap, "%llug", (unsigned long long)(b >> 30));
    else if (b && b % (1024 * 1024) == 0)
        snprintf(buf, cap, "%llum", (unsigned long long)(b >> 20));
    else if (b && b % 1024 == 0)
        snprintf(buf, cap, "%lluk", (unsigned long long)(b >> 10));
    else
        snprintf(buf, cap, "%llu", (unsigned long long)b);
}

int kit_uint(struct vctx *v, const struct conf_node *n, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char usage[64];
    snprintf(usage, sizeof usage, "a whole number %llu-%llu", (unsigned long long)lo,
             (unsigned long long)hi);
    if (kit_want_args(v, n, 1, usage) < 0)
        return -1;
    const char *s = kit_arg(v, n, 0)->s;
    if (kit_parse_uint(s, UINT64_MAX, out) < 0 || *out < lo || *out > hi)
        return verr_arg(v, n, 0, "'%s' for '%s' is not %s", s, n->name, usage);
    return 0;
}

/* One-argument values in a range: parse and fmt give the type, what
 * names it in the message. */
static int ranged(struct vctx *v, const struct conf_node *n, uint64_t lo, uint64_t hi, uint64_t *out,
                  int (*parse)(const char *, uint64_t *), void (*fmt)(char *, size_t, uint64_t),
                  const char *what, const char *units)
{
    char los[24], his[24], usage[96];
    fmt(los, sizeof los, lo);
    fmt(his, sizeof his, hi);
    snprintf(usage, sizeof usage, "a %s %s-%s %s", what, los, his, units);
    if (kit_want_args(v, n, 1, usage) < 0)
        return -1;
    const char *s = kit_arg(v, n, 0)->s;
    if (parse(s, out) < 0 || *out < lo || *out > hi)
        return verr_arg(v, n, 0, "'%s' for '%s' is not %s", s, n->name, usage);
    return 0;
}

int kit_duration_ms(struct vctx *v, const struct conf_node *n, uint64_t lo_ms, uint64_t hi_ms,
                    uint64_t *out)
{
    return ranged(v, n, lo_ms, hi_ms, out, kit_parse_duration_ms, fmt_duration, "duration",
                  "with a unit: ms, s, m, h or d");
}

int kit_size(struct vctx *v, const struct conf_node *n, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return ranged(v, n, lo, hi, out, kit_parse_size, fmt_size, "size", "in bytes or with k, m or g");
}

int kit_rate(struct vctx *v, const struct conf_node *o, const char *usage, uint32_t *per_min,
             uint32_t *burst)
{
    uint64_t x;
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs != 1 && o->nargs != 3)
        return verr(v, o->line, o->col, "'%s' takes a rate and an optional burst (%s)", o->name, usage);
    const char *s = kit_arg(v, o, 0)->s, *slash = strchr(s, '/');
    char num[16];
    if (!slash || (size_t)(slash - s) >= sizeof num || (strcmp(slash, "/s") && strcmp(slash, "/m")))
        return verr_arg(v, o, 0, "'%s' is not a rate N/s or N/m (%s)", s, usage);
    memcpy(num, s, (size_t)(slash - s));
    num[slash - s] = 0;
    uint64_t per_min_max = slash[1] == 's' ? 100000 : 6000000;
    if (kit_parse_uint(num, per_min_max, &x) < 0 || x == 0)
        return verr_arg(v, o, 0, "'%s' is not a rate N/s or N/m with N 1-100000 per second", s);
    *per_min = (uint32_t)(slash[1] == 's' ? x * 60 : x);
    *burst = (uint32_t)(slash[1] == 's' ? x : (x + 59) / 60);
    if (o->nargs == 3) {
        if (strcmp(kit_arg(v, o, 1)->s, "burst") != 0)
            return verr_arg(v, o, 1, "expected 'burst' here (%s)", usage);
        if (kit_parse_uint(kit_arg(v, o, 2)->s, 100000, &x) < 0 || x == 0)
            return verr_arg(v, o, 2, "'%s' is not a burst 1-100000", kit_arg(v, o, 2)->s);
        *burst = (uint32_t)x;
    }
    return 0;
}

const char *kit_keep(struct vctx *v, const struct conf_node *n, const char *s)
{
    struct config *c = v->c;
    size_t k = strlen(s) + 1;
    if (k > sizeof c->text - c->ntext) {
        verr(v, n->line, n->col, "the config's strings exceed %u bytes (shorten them)",
             (unsigned)sizeof c->text);
        return NULL;
    }
    char *p = c->text + c->ntext;
    memcpy(p, s, k);
    c->ntext += k;
    return p;
}

int kit_path_ok(struct vctx *v, const struct conf_node *n, unsigned k)
{
    const char *s = kit_arg(v, n, k)->s;
    if (strlen(s) >= CONFIG_PATH_MAX || !cpio_name_ok(s) || strcmp(s, CONFIG_FILE) == 0)
        return verr_arg(v, n, k, "'%s' is not a usable file name (relative to appliance.conf, "
                        "no '..', shorter than %d bytes)", s, CONFIG_PATH_MAX);
    return 0;
}

int kit_file(struct vctx *v, const struct conf_node *n, unsigned k, struct config_file *f)
{
    if (kit_path_ok(v, n, k) < 0)
        return -1;
    const char *s = kit_arg(v, n, k)->s;
    strcpy(f->path, s);
    if (!v->files || v->files->get(v->files->ctx, f->path, &f->data, &f->len) < 0)
        return verr_arg(v, n, k, "file '%s' not found (put it next to appliance.conf; "
                        "apctl pack takes it into the blob)", s);
    return 0;
}

int kit_count_file(void *arg, const char *path, const uint8_t *data, size_t len)
{
    (void)arg, (void)path, (void)data, (void)len;
    return 0;
}

int kit_dir(struct vctx *v, const struct conf_node *n, unsigned k, config_file_fn fn, void *arg)
{
    if (kit_path_ok(v, n, k) < 0)
        return -1;
    const char *s = kit_arg(v, n, k)->s;
    if (kit_is_file(v, s))
        return verr_arg(v, n, k, "'%s' is a file; '%s' wants a directory", s, n->name);
    if (!v->files || !v->files->list)
        return verr_arg(v, n, k, "directory '%s' not found or empty (put it next to "
                        "appliance.conf; apctl pack takes its files into the blob)", s);
    int r = v->files->list(v->files->ctx, s, fn ? fn : kit_count_file, arg);
    /* fn reports its own error; otherwise the directory was missing. */
    if (r < 0 && (!fn || !v->err[0]))
        return verr_arg(v, n, k, "directory '%s' not found or empty (put it next to "
                        "appliance.conf; apctl pack takes its files into the blob)", s);
    return r < 0 ? -1 : 0;
}

int kit_is_file(struct vctx *v, const char *path)
{
    const uint8_t *d;
    size_t len;
    return v->files && v->files->get(v->files->ctx, path, &d, &len) == 0;
}

void sb_quoted(struct sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(b, "\\%c", *p);
        else if (*p == '\n')
            sb_printf(b, "\\n");
        else if (*p == '\t')
            sb_printf(b, "\\t");
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\"");
}

void sb_value(struct sbuf *b, const char *s)
{
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || strchr("{}\";#\\", *p))
            plain = 0;
    if (plain)
        sb_printf(b, "%s", s);
    else
        sb_quoted(b, s);
}

void sb_rate(struct sbuf *b, uint32_t per_min, uint32_t burst)
{
    if (per_min % 60 == 0)
        sb_printf(b, "%u/s burst %u", per_min / 60, burst);
    else
        sb_printf(b, "%u/m burst %u", per_min, burst);
}

void sb_duration(struct sbuf *b, uint64_t ms)
{
    char t[24];
    fmt_duration(t, sizeof t, ms);
    sb_printf(b, "%s", t);
}

void sb_size(struct sbuf *b, uint64_t bytes)
{
    char t[24];
    fmt_size(t, sizeof t, bytes);
    sb_printf(b, "%s", t);
}
