/* libFuzzer target: raw bytes -> a sql route's untrusted inputs, each of
 * them pure: the JSON body (app/json.c), the typed parameters made from
 * its members (app/sqlparam.c), a ?cursor= (app/sqlpage.c) and a
 * parameter pattern with a value (kernel/textpat.c). Whatever the bytes:
 *  - json_object reads and writes nothing outside the body and a scratch
 *    of exactly len + 2 * max bytes; it lists at most max members with
 *    distinct names; names and strings are valid UTF-8, NUL-terminated,
 *    inside the scratch; a nested value is a bracketed span of the body,
 *    valid UTF-8; an integer's d is its i; a refusal has a reason and an
 *    offset inside the body;
 *  - sqlparam_json on every member, as every type, either fills a value
 *    of the type or writes a message;
 *  - a cursor that sqlpage_uncursor takes re-encodes, by sqlpage_cursor,
 *    to the very same text (so nothing but our own cursors is taken),
 *    and its paged statement fits;
 *  - the first byte splits the rest into a pattern and a value: a pattern
 *    that compiles has at most TEXTPAT_ATOMS atoms, and textpat_match
 *    agrees with a plain dynamic-programming matcher over the same atoms.
 */
#include <stdlib.h>
#include <string.h>
#include "app/json.h"
#include "app/sqlpage.h"
#include "app/sqlparam.h"

#define MAX_MEMBERS 8               /* small, so "too many members" is reached */

static void check_json(const char *body, size_t len)
{
    struct json_member m[MAX_MEMBERS];
    size_t cap = len + 2 * MAX_MEMBERS;
    char *scratch = malloc(cap);    /* exact, so ASan sees a byte past it */
    const char *why = NULL;
    size_t at = (size_t)-1;
    int n = json_object(body, len, m, MAX_MEMBERS, scratch, &why, &at);
    if (n < 0) {
        if (n != -1 || !why || at > len)
            __builtin_trap();
        free(scratch);
        return;
    }
    if ((size_t)n > MAX_MEMBERS)
        __builtin_trap();
    for (int i = 0; i < n; i++) {
        const struct json_member *e = &m[i];
        if (e->name < scratch || e->name + e->name_len >= scratch + cap || e->name[e->name_len] != 0 ||
            !json_utf8_ok(e->name, e->name_len))
            __builtin_trap();
        for (int j = 0; j < i; j++)
            if (m[j].name_len == e->name_len && !memcmp(m[j].name, e->name, e->name_len))
                __builtin_trap();
        switch (e->kind) {
        case JSON_NULL: case JSON_FALSE: case JSON_TRUE: case JSON_REAL:
            break;
        case JSON_INT:
            if (e->d != (double)e->i)
                __builtin_trap();
            break;
        case JSON_STRING:
            if (e->s < scratch || e->s + e->len >= scratch + cap || e->s[e->len] != 0 ||
                !json_utf8_ok(e->s, e->len))
                __builtin_trap();
            break;
        case JSON_NESTED:
            if (e->s < body || e->len < 2 || e->s + e->len > body + len || !json_utf8_ok(e->s, e->len) ||
                !((e->s[0] == '{' && e->s[e->len - 1] == '}') || (e->s[0] == '[' && e->s[e->len - 1] == ']')))
                __builtin_trap();
            break;
        default:
            __builtin_trap();
        }
        /* Every type, with every check a declaration can ask for. */
        static const enum config_ptype types[] = { CONFIG_P_INTEGER, CONFIG_P_REAL, CONFIG_P_TEXT,
                                                   CONFIG_P_BOOLEAN };
        static const enum store_type want[] = { STORE_INT, STORE_REAL, STORE_TEXT, STORE_INT };
        for (int t = 0; t < 4; t++) {
            struct config_param p = { .name = "p", .type = types[t], .nullable = i & 1, .has_min = 1,
                                      .min = -1e6, .has_max = 1, .max = 1e6, .has_length = 1, .len_lo = 1,
                                      .len_hi = 40, .pattern = t == CONFIG_P_TEXT ? "[^x]*\\w?.{0,30}" : NULL };
            struct store_value v;
            char msg[160];
            msg[0] = 0;
            if (sqlparam_json(&p, e, &v, msg, sizeof msg) == 0) {
                if (v.type != want[t] && !(v.type == STORE_NULL && e->kind == JSON_NULL && p.nullable))
                    __builtin_trap();
            } else if (!msg[0] || !memchr(msg, 0, sizeof msg)) {
                __builtin_trap();
            }
        }
    }
    free(scratch);
}

static void check_cursor(const char *s, size_t n)
{
    static const struct config_sql q = {
        .key = "id", .sort_by = { "likes", "created_at", "title" }, .nsort = 3,
        .filter_by = { "user_id" }, .nfilter = 1,
    };
    char *store = malloc(SQLPAGE_CURSOR_MAX);
    struct sqlpage pg = { 0 };
    if (sqlpage_uncursor(&q, s, n, &pg, store) == 0) {
        if (!pg.has_cursor || pg.sort < -1 || pg.sort >= (int)q.nsort || (pg.desc != 0 && pg.desc != 1))
            __builtin_trap();
        char again[SQLPAGE_CURSOR_MAX];
        size_t k = sqlpage_cursor(&pg, &pg.cv, &pg.ck, again, sizeof again);
        if (k != n || memcmp(again, s, n) != 0 || again[k] != 0)
            __builtin_trap();
        static char sql[SQLPAGE_SQL_MAX];
        pg.filters = 1;
        if (sqlpage_sql(&q, "SELECT * FROM posts", &pg, sql, sizeof sql) != 0 || !memchr(sql, 0, sizeof sql))
            __builtin_trap();
    }
    free(store);
}

/* The compiled atoms' kinds, in the order kernel/textpat.c declares them
 * (its header names them: TEXTPAT_ONE, _OPT, _STAR). */
enum { ONE, OPT, STAR };

static int takes(const struct textpat *p, unsigned i, unsigned char c) { return p->set[i][c >> 3] >> (c & 7) & 1; }

/* The obvious matcher: ok[i][k] = atoms i.. match s[k..len), filled from
 * the end; quadratic space, but no bit tricks to share a bug with. */
static int reference(const struct textpat *p, const char *s, size_t len)
{
    size_t w = len + 1;
    unsigned char *ok = calloc((size_t)(p->n + 1) * w, 1);
    for (size_t k = len + 1; k-- > 0;) {
        ok[(size_t)p->n * w + k] = k == len;
        for (unsigned i = p->n; i-- > 0;) {
            int here = k < len && takes(p, i, (unsigned char)s[k]);
            int r;
            switch (p->kind[i]) {
            case ONE: r = here && ok[(i + 1) * w + k + 1]; break;
            case OPT: r = ok[(i + 1) * w + k] || (here && ok[(i + 1) * w + k + 1]); break;
            case STAR: r = ok[(i + 1) * w + k] || (here && ok[i * w + k + 1]); break;
            default: __builtin_trap();
            }
            ok[i * w + k] = (unsigned char)r;
        }
    }
    int r = ok[0];
    free(ok);
    return r;
}

static void check_pattern(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    size_t split = data[0] < size - 1 ? data[0] : size - 1;
    char *pat = malloc(split + 1);  /* a pattern is a C string: it ends at a NUL */
    memcpy(pat, data + 1, split);
    pat[split] = 0;
    size_t len = size - 1 - split;
    char *val = malloc(len ? len : 1);
    memcpy(val, data + 1 + split, len);
    struct textpat p;
    const char *why = NULL;
    if (textpat_compile(pat, &p, &why) == 0) {
        if (p.n > TEXTPAT_ATOMS)
            __builtin_trap();
        int r = textpat_match(&p, val, len);
        if ((r != 0 && r != 1) || r != reference(&p, val, len))
            __builtin_trap();
    } else if (!why) {
        __builtin_trap();
    }
    free(pat);
    free(val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes: no NUL after it to hide an over-read. */
    char *in = malloc(size ? size : 1);
    memcpy(in, data, size);
    check_json(in, size);
    check_cursor(in, size);
    free(in);
    check_pattern(data, size);
    return 0;
}
