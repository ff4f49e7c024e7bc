/* kernel/textpat.c: see textpat.h. The compiled pattern is a list of
 * atoms, each taken once, optionally, or any number of times; matching
 * runs the list as an NFA, one bit per position, over the text once. */
#include "kernel/textpat.h"

#include <string.h>

enum { TEXTPAT_ONE, TEXTPAT_OPT, TEXTPAT_STAR };

static void set_add(uint8_t *set, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int has(const uint8_t *set, unsigned char c) { return set[c >> 3] >> (c & 7) & 1; }

/* \d \w \s into set; 0, or -1 if e is not one of them. */
static int class_escape(char e, uint8_t *set)
{
    switch (e) {
    case 'd': set_add(set, '0', '9'); return 0;
    case 'w': set_add(set, '0', '9'); set_add(set, 'A', 'Z'); set_add(set, 'a', 'z'); set_add(set, '_', '_');
        return 0;
    case 's': set_add(set, ' ', ' '); set_add(set, '\t', '\t'); set_add(set, '\r', '\r'); set_add(set, '\n', '\n');
        return 0;
    default: return -1;
    }
}

/* ASCII punctuation, as textpat.h promises: every printable byte but
 * letters, digits and space (so \: \@ \" are bytes too, not only the
 * pattern's own specials). */
static int is_punct(char c)
{
    return c > ' ' && c < 0x7f && !((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'));
}

/* One atom at *pp into set; advances *pp. */
static int atom(const char **pp, uint8_t *set, const char **why)
{
    const char *p = *pp;
    memset(set, 0, 32);
    if (*p == '.') {
        set_add(set, 0, 255);
        p++;
    } else if (*p == '\\') {
        if (class_escape(p[1], set) < 0) {
            if (!is_punct(p[1])) {
                *why = "'\\' goes before punctuation or d, w, s";
                return -1;
            }
            set_add(set, (unsigned char)p[1], (unsigned char)p[1]);
        }
        p += 2;
    } else if (*p == '[') {
        p++;
        int neg = *p == '^';
        if (neg)
            p++;
        int first = 1;
        while (*p && (*p != ']' || first)) {
            first = 0;
            unsigned lo;
            if (*p == '\\') {
                if (class_escape(p[1], set) == 0) {
                    p += 2;
                    continue;
                }
                if (!is_punct(p[1])) {
                    *why = "'\\' goes before punctuation or d, w, s";
                    return -1;
                }
                lo = (unsigned char)p[1];
                p += 2;
            } else {
                lo = (unsigned char)*p++;
            }
            unsigned hi = lo;
            if (p[0] == '-' && p[1] && p[1] != ']') {
                hi = (unsigned char)(p[1] == '\\' && p[2] ? p[2] : p[1]);
                p += p[1] == '\\' && p[2] ? 3 : 2;
                if (hi < lo) {
                    *why = "a range in [...] goes from low to high (a-z)";
                    return -1;
                }
            }
            set_add(set, lo, hi);
        }
        if (*p != ']') {
            *why = "'[' without its ']'";
            return -1;
        }
        p++;
        if (neg)
            for (int i = 0; i < 32; i++)
                set[i] = (uint8_t)~set[i];
    } else if (*p && strchr("()|", *p)) {
        *why = "groups and alternation ( ) | are not supported";
        return -1;
    } else if (*p && strchr("*+?{", *p)) {
        *why = "a repeat (* + ? {}) follows nothing";
        return -1;
    } else {
        set_add(set, (unsigned char)*p, (unsigned char)*p);
        p++;
    }
    *pp = p;
    return 0;
}

static int number(const char **pp, unsigned *out)
{
    const char *p = *pp;
    unsigned v = 0;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9' && v <= 64)
        v = v * 10 + (unsigned)(*p++ - '0');
    if (v > 64)
        return -1;
    *pp = p;
    *out = v;
    return 0;
}

static int push(struct textpat *t, const uint8_t *set, int kind, const char **why)
{
    if (t->n == TEXTPAT_ATOMS) {
        *why = "pattern too long (at most 63 atoms, counting {m,n} repeats)";
        return -1;
    }
    memcpy(t->set[t->n], set, 32);
    t->kind[t->n++] = (uint8_t)kind;
    return 0;
}

int textpat_compile(const char *p, struct textpat *t, const char **why)
{
    t->n = 0;
    if (*p == '^')
        p++;
    while (*p) {
        if (p[0] == '$' && !p[1])
            break;
        uint8_t set[32];
        if (atom(&p, set, why) < 0)
            return -1;
        /* A separate flag, not hi 0, for "no upper bound": {0} is the
         * atom zero times, not a star. */
        unsigned lo = 1, hi = 1;
        int unbounded = 0;
        if (*p == '*') {
            lo = 0, unbounded = 1, p++;
        } else if (*p == '+') {
            lo = 1, unbounded = 1, p++;
        } else if (*p == '?') {
            lo = 0, hi = 1, p++;
        } else if (*p == '{') {
            p++;
            if (number(&p, &lo) < 0) {
                *why = "{m,n}: m and n are numbers up to 64";
                return -1;
            }
            hi = lo;
            if (*p == ',') {
                p++;
                unbounded = *p == '}';
                if (!unbounded && (number(&p, &hi) < 0 || hi < lo)) {
                    *why = "{m,n}: m and n are numbers up to 64, n at least m";
                    return -1;
                }
            }
            if (*p++ != '}') {
                *why = "'{' without its '}'";
                return -1;
            }
        }
        if (*p && strchr("*+?{", *p)) {
            *why = "two repeats in a row";
            return -1;
        }
        for (unsigned i = 0; i < lo; i++)
            if (push(t, set, TEXTPAT_ONE, why) < 0)
                return -1;
        if (unbounded) {
            if (push(t, set, TEXTPAT_STAR, why) < 0)
                return -1;
        } else {
            for (unsigned i = lo; i < hi; i++)
                if (push(t, set, TEXTPAT_OPT, why) < 0)
                    return -1;
        }
    }
    return 0;
}

/* States: bit i = "the atoms before i are matched"; bit n = all of them
 * (n < 64 as TEXTPAT_ATOMS is 63). Optional and starred atoms may be
 * skipped, so each such state carries on to the next. */
static uint64_t closure(const struct textpat *t, uint64_t s)
{
    for (unsigned i = 0; i < t->n; i++)
        if ((s >> i & 1) && t->kind[i] != TEXTPAT_ONE)
            s |= 1ull << (i + 1);
    return s;
}

int textpat_match(const struct textpat *t, const char *s, size_t len)
{
    uint64_t cur = closure(t, 1);
    for (size_t k = 0; k < len && cur; k++) {
        unsigned char c = (unsigned char)s[k];
        uint64_t next = 0;
        for (unsigned i = 0; i < t->n; i++) {
            if (!(cur >> i & 1) || !has(t->set[i], c))
                continue;
            next |= 1ull << (t->kind[i] == TEXTPAT_STAR ? i : i + 1);
        }
        cur = closure(t, next);
    }
    return (int)(cur >> t->n & 1);
}
