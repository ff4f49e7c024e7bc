/* app/sqlpage.c: see sqlpage.h. */
#include "app/sqlpage.h"

#include <string.h>

#define CURSOR_VERSION 1

int sqlpage_sort(const struct config_sql *q, const char *s, size_t n, struct sqlpage *pg)
{
    pg->sort = -1;
    pg->desc = q->key_desc;
    if (!s)
        return 0;
    int desc = n && s[0] == '-';
    s += desc, n -= (size_t)desc;
    if (strlen(q->key) == n && !memcmp(q->key, s, n)) {
        pg->desc = desc;
        return 0;
    }
    for (unsigned i = 0; i < q->nsort; i++)
        if (strlen(q->sort_by[i]) == n && !memcmp(q->sort_by[i], s, n)) {
            pg->sort = (int)i;
            pg->desc = desc;
            return 0;
        }
    return -1;
}

int sqlpage_sql(const struct config_sql *q, const char *base, const struct sqlpage *pg, char *out, size_t cap)
{
    struct sbuf b = { out, cap, 0 };
    size_t bl = strlen(base);
    while (bl && (base[bl - 1] == ';' || base[bl - 1] == ' ' || base[bl - 1] == '\n' || base[bl - 1] == '\t' ||
                  base[bl - 1] == '\r'))
        bl--;
    sb_printf(&b, "SELECT * FROM (%.*s) WHERE 1", (int)bl, base);
    for (unsigned i = 0; i < q->nfilter; i++)
        if (pg->filters >> i & 1)
            sb_printf(&b, " AND \"%s\" = :_f%u", q->filter_by[i], i);
    const char *k = q->key, *s = pg->sort >= 0 ? q->sort_by[pg->sort] : k;
    const char *op = pg->desc ? "<" : ">", *dir = pg->desc ? "DESC" : "ASC";
    if (pg->has_cursor) {
        if (s == k)
            sb_printf(&b, " AND \"%s\" %s :_ck", k, op);
        /* NULLs sort first ascending and last descending (SQLite), so a
         * NULL sort value sits before or after every other. */
        else if (pg->cv.type == STORE_NULL && !pg->desc)
            sb_printf(&b, " AND ((\"%s\" IS NULL AND \"%s\" > :_ck) OR \"%s\" IS NOT NULL)", s, k, s);
        else if (pg->cv.type == STORE_NULL)
            sb_printf(&b, " AND (\"%s\" IS NULL AND \"%s\" < :_ck)", s, k);
        else
            sb_printf(&b, " AND (\"%s\" %s :_cv OR (\"%s\" = :_cv AND \"%s\" %s :_ck)%s%s%s)", s, op, s, k, op,
                      pg->desc ? " OR \"" : "", pg->desc ? s : "", pg->desc ? "\" IS NULL" : "");
    }
    if (s != k)
        sb_printf(&b, " ORDER BY \"%s\" %s, \"%s\" %s", s, dir, k, dir);
    else
        sb_printf(&b, " ORDER BY \"%s\" %s", k, dir);
    sb_printf(&b, " LIMIT :_limit OFFSET :_offset");
    return b.len + 1 < cap ? 0 : -1;
}

/* ---- cursors: base64url (RFC 4648 section 5) of
 *   version, sort (index + 1, 0 the key), desc, value, value
 * where a value is a type byte and: 8 bytes (integer, real) big-endian,
 * or a 2-byte length and the bytes (text, blob), or nothing (null). */

static size_t put_value(uint8_t *o, const struct store_value *v)
{
    size_t n = 0;
    o[n++] = (uint8_t)v->type;
    if (v->type == STORE_INT || v->type == STORE_REAL) {
        uint64_t x;
        if (v->type == STORE_INT)
            x = (uint64_t)v->i;
        else
            memcpy(&x, &v->d, 8);
        for (int i = 7; i >= 0; i--)
            o[n++] = (uint8_t)(x >> (8 * i));
    } else if (v->type == STORE_TEXT || v->type == STORE_BLOB) {
        o[n++] = (uint8_t)(v->len >> 8);
        o[n++] = (uint8_t)v->len;
        memcpy(o + n, v->p, v->len);
        n += v->len;
    }
    return n;
}

size_t sqlpage_cursor(const struct sqlpage *pg, const struct store_value *sv, const struct store_value *kv,
                      char *out, size_t cap)
{
    uint8_t raw[3 + 2 * (3 + SQLPAGE_VALUE_MAX)];
    if (((sv->type == STORE_TEXT || sv->type == STORE_BLOB) && sv->len > SQLPAGE_VALUE_MAX) ||
        ((kv->type == STORE_TEXT || kv->type == STORE_BLOB) && kv->len > SQLPAGE_VALUE_MAX))
        return 0;
    size_t n = 0;
    raw[n++] = CURSOR_VERSION;
    raw[n++] = (uint8_t)(pg->sort + 1);
    raw[n++] = (uint8_t)pg->desc;
    n += put_value(raw + n, sv);
    n += put_value(raw + n, kv);
    return base64_encode(raw, n, 1, out, cap);
}

static int get_value(const uint8_t *raw, size_t n, size_t *at, struct store_value *v)
{
    size_t i = *at;
    if (i >= n)
        return -1;
    *v = (struct store_value){ 0 };
    v->type = (enum store_type)raw[i++];
    switch (raw[i - 1]) {
    case STORE_NULL:
        break;
    case STORE_INT:
    case STORE_REAL: {
        if (n - i < 8)
            return -1;
        uint64_t x = 0;
        for (int k = 0; k < 8; k++)
            x = x << 8 | raw[i++];
        if (v->type == STORE_INT)
            v->i = (int64_t)x;
        else
            memcpy(&v->d, &x, 8);
        if (v->type == STORE_REAL && v->d != v->d)
            return -1;
        break;
    }
    case STORE_TEXT:
    case STORE_BLOB:
        if (n - i < 2)
            return -1;
        v->len = (size_t)raw[i] << 8 | raw[i + 1];
        i += 2;
        if (v->len > SQLPAGE_VALUE_MAX || n - i < v->len)
            return -1;
        v->p = (const char *)raw + i;
        i += v->len;
        break;
    default:
        return -1;
    }
    *at = i;
    return 0;
}

int sqlpage_uncursor(const struct config_sql *q, const char *s, size_t n, struct sqlpage *pg, char *store)
{
    uint8_t *raw = (uint8_t *)store;
    if (n == 0 || n > SQLPAGE_CURSOR_MAX)
        return -1;
    /* Anything but exact base64url of ours (stray characters, non-zero
     * padding bits) is refused by the decoder. */
    long got = base64url_decode(s, n, raw, SQLPAGE_CURSOR_MAX);
    if (got < 0)
        return -1;
    size_t r = (size_t)got;
    size_t at = 3;
    if (r < 3 || raw[0] != CURSOR_VERSION || raw[1] > q->nsort || raw[2] > 1)
        return -1;
    pg->sort = (int)raw[1] - 1;
    pg->desc = raw[2];
    if (get_value(raw, r, &at, &pg->cv) < 0 || get_value(raw, r, &at, &pg->ck) < 0 || at != r)
        return -1;
    pg->has_cursor = 1;
    return 0;
}
