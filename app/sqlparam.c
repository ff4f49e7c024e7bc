/* app/sqlparam.c: see sqlparam.h. */
#include "app/sqlparam.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = { "an integer", "a number", "a string", "a boolean" };

/* Range, length and pattern, once the type is right. */
static int check(const struct config_param *p, struct store_value *v, char *msg, size_t cap)
{
    if (v->type == STORE_INT || v->type == STORE_REAL) {
        double d = v->type == STORE_INT ? (double)v->i : v->d;
        if (p->type == CONFIG_P_BOOLEAN)
            return 0;
        if ((p->has_min && d < p->min) || (p->has_max && d > p->max)) {
            if (p->has_min && p->has_max)
                snprintf(msg, cap, "must be from %.15g to %.15g", p->min, p->max);
            else if (p->has_min)
                snprintf(msg, cap, "must be at least %.15g", p->min);
            else
                snprintf(msg, cap, "must be at most %.15g", p->max);
            return -1;
        }
        return 0;
    }
    if (v->type != STORE_TEXT)
        return 0;
    if (!json_utf8_ok(v->p, v->len) || memchr(v->p, 0, v->len)) {
        snprintf(msg, cap, "must be UTF-8 text without NUL characters");
        return -1;
    }
    size_t chars = json_utf8_len(v->p, v->len);
    if (p->has_length && (chars < p->len_lo || chars > p->len_hi)) {
        if (p->len_lo == p->len_hi)
            snprintf(msg, cap, "must be %u characters long", p->len_lo);
        else
            snprintf(msg, cap, "must be %u to %u characters long", p->len_lo, p->len_hi);
        return -1;
    }
    if (p->pattern) {
        struct textpat tp;
        const char *why;
        if (textpat_compile(p->pattern, &tp, &why) == 0 && !textpat_match(&tp, v->p, v->len)) {
            snprintf(msg, cap, "must match the pattern %s", p->pattern);
            return -1;
        }
    }
    return 0;
}

static int wrong_type(const struct config_param *p, char *msg, size_t cap)
{
    snprintf(msg, cap, "must be %s", type_names[p->type]);
    return -1;
}

/* A JSON-number text (RFC 8259 section 6) in s[0..n). */
static int number_text(const char *s, size_t n, int *is_int)
{
    size_t i = 0;
    *is_int = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        *is_int = 0;
        if (++i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *is_int = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i == n;
}

int sqlparam_text(const struct config_param *p, const char *s, size_t n, struct store_value *v, char *msg,
                  size_t cap)
{
    *v = (struct store_value){ 0 };
    int is_int;
    char buf[64];
    switch (p->type) {
    case CONFIG_P_TEXT:
        v->type = STORE_TEXT;
        v->p = s;
        v->len = n;
        break;
    case CONFIG_P_BOOLEAN:
        v->type = STORE_INT;
        if ((n == 4 && !memcmp(s, "true", 4)) || (n == 1 && s[0] == '1'))
            v->i = 1;
        else if ((n == 5 && !memcmp(s, "false", 5)) || (n == 1 && s[0] == '0'))
            v->i = 0;
        else
            return wrong_type(p, msg, cap);
        break;
    case CONFIG_P_INTEGER:
    case CONFIG_P_REAL:
        if (!number_text(s, n, &is_int) || n >= sizeof buf || (p->type == CONFIG_P_INTEGER && !is_int))
            return wrong_type(p, msg, cap);
        memcpy(buf, s, n);
        buf[n] = 0;
        if (p->type == CONFIG_P_INTEGER) {
            char *end;
            long long x = strtoll(buf, &end, 10);
            if ((x == LLONG_MAX || x == LLONG_MIN) && strcmp(buf, x == LLONG_MAX ? "9223372036854775807"
                                                                               : "-9223372036854775808")) {
                snprintf(msg, cap, "must be an integer within 64 bits");
                return -1;
            }
            v->type = STORE_INT;
            v->i = x;
        } else {
            v->type = STORE_REAL;
            v->d = strtod(buf, NULL);
            if (!isfinite(v->d)) {
                snprintf(msg, cap, "must be a finite number");
                return -1;
            }
        }
        break;
    }
    return check(p, v, msg, cap);
}

int sqlparam_json(const struct config_param *p, const struct json_member *m, struct store_value *v, char *msg,
                  size_t cap)
{
    *v = (struct store_value){ 0 };
    if (m->kind == JSON_NULL) {
        if (!p->nullable) {
            snprintf(msg, cap, "may not be null");
            return -1;
        }
        v->type = STORE_NULL;
        return 0;
    }
    switch (p->type) {
    case CONFIG_P_TEXT:
        if (m->kind != JSON_STRING)
            return wrong_type(p, msg, cap);
        v->type = STORE_TEXT;
        v->p = m->s;
        v->len = m->len;
        break;
    case CONFIG_P_BOOLEAN:
        if (m->kind != JSON_TRUE && m->kind != JSON_FALSE)
            return wrong_type(p, msg, cap);
        v->type = STORE_INT;
        v->i = m->kind == JSON_TRUE;
        break;
    case CONFIG_P_INTEGER:
        if (m->kind == JSON_REAL && m->d == floor(m->d) && fabs(m->d) < 9007199254740992.0) {
            v->type = STORE_INT;        /* 5.0 and 5e0 are the integer 5 */
            v->i = (int64_t)m->d;
            break;
        }
        if (m->kind != JSON_INT)
            return wrong_type(p, msg, cap);
        v->type = STORE_INT;
        v->i = m->i;
        break;
    case CONFIG_P_REAL:
        if (m->kind != JSON_INT && m->kind != JSON_REAL)
            return wrong_type(p, msg, cap);
        if (!isfinite(m->d)) {
            snprintf(msg, cap, "must be a finite number");
            return -1;
        }
        v->type = STORE_REAL;
        v->d = m->d;
        break;
    }
    return check(p, v, msg, cap);
}

int sqlparam_absent(const struct config_param *p, struct store_value *v, char *msg, size_t cap)
{
    *v = (struct store_value){ 0 };
    if (p->required) {
        snprintf(msg, cap, "is required");
        return -1;
    }
    if (!p->def) {
        v->type = STORE_NULL;
        return 0;
    }
    /* The config checked the default against the type. */
    return sqlparam_text(p, p->def, strlen(p->def), v, msg, cap);
}
