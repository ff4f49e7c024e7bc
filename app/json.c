/* app/json.c: see json.h. A recursive-descent reader over the bytes,
 * depth-bounded; only the top-level object's members are decoded. */
#include "app/json.h"

#include <stdlib.h>
#include <string.h>

struct rd {
    const char *p;
    size_t len, pos;
    const char *why;
    char *out;                      /* scratch, where decoded text goes */
};

static int fail(struct rd *r, const char *why)
{
    if (!r->why)
        r->why = why;
    return -1;
}

static void ws(struct rd *r)
{
    while (r->pos < r->len && (r->p[r->pos] == ' ' || r->p[r->pos] == '\t' || r->p[r->pos] == '\n' ||
                               r->p[r->pos] == '\r'))
        r->pos++;
}

static int peek(struct rd *r) { return r->pos < r->len ? (unsigned char)r->p[r->pos] : -1; }

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (!k || c > 0xf4 || n < k)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (k == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
        return 0;                   /* overlong, or a surrogate */
    if (k == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
        return 0;                   /* overlong, or past U+10FFFF */
    return k;
}

int json_utf8_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

size_t json_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xc0) != 0x80;
    return count;
}

static int hex4(struct rd *r, unsigned *out)
{
    unsigned v = 0;
    if (r->pos + 4 > r->len)
        return fail(r, "a \\u escape takes four hex digits");
    for (int i = 0; i < 4; i++) {
        char c = r->p[r->pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if ((c | 32) >= 'a' && (c | 32) <= 'f') v |= (unsigned)((c | 32) - 'a' + 10);
        else return fail(r, "a \\u escape takes four hex digits");
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 63));
        *o++ = (char)(0x80 | (cp & 63));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 63));
        *o++ = (char)(0x80 | (cp >> 6 & 63));
        *o++ = (char)(0x80 | (cp & 63));
    }
    return o;
}

/* A string at '"'; decoded into r->out when keep (then *s, *n). */
static int string(struct rd *r, int keep, const char **s, size_t *n)
{
    r->pos++;
    char *o = r->out, *start = o;
    for (;;) {
        if (r->pos >= r->len)
            return fail(r, "a string without its closing '\"'");
        unsigned char c = (unsigned char)r->p[r->pos];
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c < 0x20)
            return fail(r, "a control character in a string (escape it)");
        if (c == '\\') {
            r->pos++;
            if (r->pos >= r->len)
                return fail(r, "a string without its closing '\"'");
            char e = r->p[r->pos++];
            unsigned cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = 8; break;
            case 'f': cp = 12; break;
            case 'n': cp = 10; break;
            case 'r': cp = 13; break;
            case 't': cp = 9; break;
            case 'u':
                if (hex4(r, &cp) < 0)
                    return -1;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail(r, "a lone low surrogate \\u escape");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned lo;
                    if (r->pos + 2 > r->len || r->p[r->pos] != '\\' || r->p[r->pos + 1] != 'u')
                        return fail(r, "a high surrogate \\u escape without its low half");
                    r->pos += 2;
                    if (hex4(r, &lo) < 0)
                        return -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(r, "a high surrogate \\u escape without its low half");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                break;
            default:
                return fail(r, "an unknown escape in a string");
            }
            if (keep)
                o = put_utf8(o, cp);
            continue;
        }
        size_t k = utf8_seq((const unsigned char *)r->p + r->pos, r->len - r->pos);
        if (!k)
            return fail(r, "invalid UTF-8 in a string");
        if (keep)
            memcpy(o, r->p + r->pos, k), o += k;
        r->pos += k;
    }
    if (keep) {
        *o++ = 0;
        *s = start;
        *n = (size_t)(o - start - 1);
        r->out = o;
    }
    return 0;
}

static int number(struct rd *r, struct json_member *m)
{
    size_t b = r->pos;
    int is_int = 1;
    if (peek(r) == '-')
        r->pos++;
    if (peek(r) == '0') {
        r->pos++;
    } else if (peek(r) >= '1' && peek(r) <= '9') {
        while (peek(r) >= '0' && peek(r) <= '9')
            r->pos++;
    } else {
        return fail(r, "not a JSON value");
    }
    if (peek(r) == '.') {
        is_int = 0;
        r->pos++;
        if (!(peek(r) >= '0' && peek(r) <= '9'))
            return fail(r, "a digit must follow '.'");
        while (peek(r) >= '0' && peek(r) <= '9')
            r->pos++;
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        is_int = 0;
        r->pos++;
        if (peek(r) == '+' || peek(r) == '-')
            r->pos++;
        if (!(peek(r) >= '0' && peek(r) <= '9'))
            return fail(r, "a digit must follow the exponent");
        while (peek(r) >= '0' && peek(r) <= '9')
            r->pos++;
    }
    if (!m)
        return 0;
    char buf[64];
    size_t n = r->pos - b;
    if (n >= sizeof buf)
        is_int = 0;
    if (n < sizeof buf) {
        memcpy(buf, r->p + b, n);
        buf[n] = 0;
    }
    if (is_int) {
        /* Accumulate negatively: -9223372036854775808 fits, its positive does not. */
        int neg = buf[0] == '-';
        int64_t v = 0;
        for (const char *q = buf + neg; *q && is_int; q++) {
            int dgt = *q - '0';
            if (v < (INT64_MIN + dgt) / 10)
                is_int = 0;
            else
                v = v * 10 - dgt;
        }
        if (is_int && !neg && v == INT64_MIN)
            is_int = 0;
        if (is_int) {
            m->kind = JSON_INT;
            m->i = neg ? v : -v;
            m->d = (double)m->i;
            return 0;
        }
    }
    m->kind = JSON_REAL;
    if (n < sizeof buf) {
        m->d = strtod(buf, NULL);
    } else {
        char *tmp = malloc(n + 1);
        if (!tmp)
            return fail(r, "no memory for a number");
        memcpy(tmp, r->p + b, n);
        tmp[n] = 0;
        m->d = strtod(tmp, NULL);
        free(tmp);
    }
    return 0;
}

static int literal(struct rd *r, const char *w)
{
    size_t k = strlen(w);
    if (r->len - r->pos < k || memcmp(r->p + r->pos, w, k) != 0)
        return fail(r, "not a JSON value");
    r->pos += k;
    return 0;
}

static int value(struct rd *r, int depth, struct json_member *m);

/* An object or array at its opening bracket, skipped (depth-bounded). */
static int nested(struct rd *r, int depth)
{
    if (depth > JSON_DEPTH_MAX)
        return fail(r, "nested deeper than 32 levels");
    char open = r->p[r->pos++], close = open == '{' ? '}' : ']';
    ws(r);
    if (peek(r) == close) {
        r->pos++;
        return 0;
    }
    for (;;) {
        ws(r);
        if (open == '{') {
            if (peek(r) != '"')
                return fail(r, "an object member starts with a name in quotes");
            if (string(r, 0, NULL, NULL) < 0)
                return -1;
            ws(r);
            if (peek(r) != ':')
                return fail(r, "':' must follow a member's name");
            r->pos++;
        }
        if (value(r, depth + 1, NULL) < 0)
            return -1;
        ws(r);
        if (peek(r) == ',') {
            r->pos++;
            continue;
        }
        if (peek(r) == close) {
            r->pos++;
            return 0;
        }
        return fail(r, open == '{' ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static int value(struct rd *r, int depth, struct json_member *m)
{
    ws(r);
    int c = peek(r);
    size_t b = r->pos;
    switch (c) {
    case '{': case '[':
        if (nested(r, depth) < 0)
            return -1;
        if (m) {
            m->kind = JSON_NESTED;
            m->s = r->p + b;
            m->len = r->pos - b;
        }
        return 0;
    case '"':
        if (m)
            m->kind = JSON_STRING;
        return string(r, m != NULL, m ? &m->s : NULL, m ? &m->len : NULL);
    case 't': if (m) m->kind = JSON_TRUE; return literal(r, "true");
    case 'f': if (m) m->kind = JSON_FALSE; return literal(r, "false");
    case 'n': if (m) m->kind = JSON_NULL; return literal(r, "null");
    case -1: return fail(r, "the text ends where a value should be");
    default: return number(r, m);
    }
}

int json_object(const char *p, size_t len, struct json_member *m, size_t max, char *scratch,
                const char **why, size_t *at)
{
    struct rd r = { p, len, 0, NULL, scratch };
    size_t n = 0;
    ws(&r);
    if (peek(&r) != '{') {
        fail(&r, "the body must be a JSON object ({...})");
        goto bad;
    }
    r.pos++;
    ws(&r);
    if (peek(&r) == '}') {
        r.pos++;
        goto end;
    }
    for (;;) {
        ws(&r);
        if (peek(&r) != '"') {
            fail(&r, "an object member starts with a name in quotes");
            goto bad;
        }
        if (n == max) {
            fail(&r, "too many members in the object");
            goto bad;
        }
        struct json_member *e = &m[n];
        memset(e, 0, sizeof *e);
        size_t name_at = r.pos;
        if (string(&r, 1, &e->name, &e->name_len) < 0)
            goto bad;
        for (size_t i = 0; i < n; i++)
            if (m[i].name_len == e->name_len && memcmp(m[i].name, e->name, e->name_len) == 0) {
                r.pos = name_at;
                fail(&r, "the same member name twice");
                goto bad;
            }
        ws(&r);
        if (peek(&r) != ':') {
            fail(&r, "':' must follow a member's name");
            goto bad;
        }
        r.pos++;
        /* The body's object is level 1, so a member's value is level 2:
         * at most JSON_DEPTH_MAX brackets open at once, counting the
         * outermost (as conf_parse.c counts blocks). */
        if (value(&r, 2, e) < 0)
            goto bad;
        n++;
        ws(&r);
        if (peek(&r) == ',') {
            r.pos++;
            continue;
        }
        if (peek(&r) == '}') {
            r.pos++;
            break;
        }
        fail(&r, "',' or '}' expected");
        goto bad;
    }
end:
    ws(&r);
    if (r.pos != len) {
        fail(&r, "something follows the object");
        goto bad;
    }
    return (int)n;
bad:
    *why = r.why;
    *at = r.pos;
    return -1;
}
