/* app/jwt.c: see jwt.h. */
#include "app/jwt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/json.h"
#include "kernel/kernel.h"

#define MEMBERS 32

static const struct json_member *get(const struct json_member *m, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].name, name))
            return &m[i];
    return NULL;
}

static int copy_str(const struct json_member *m, char *out, size_t cap)
{
    if (!m || m->kind != JSON_STRING || m->len >= cap)
        return -1;
    memcpy(out, m->s, m->len + 1);
    return 0;
}

/* A NumericDate (RFC 7519 section 2): a JSON number, fractions allowed. */
static int numeric_date(const struct json_member *m, int64_t *out)
{
    if (!m || (m->kind != JSON_INT && m->kind != JSON_REAL) || !isfinite(m->d) || fabs(m->d) > 1e15)
        return -1;
    *out = m->kind == JSON_INT ? m->i : (int64_t)floor(m->d);
    return 0;
}

/* "aud": a string, or an array of strings holding want. */
static int audience_ok(const struct json_member *m, const char *want)
{
    if (!m)
        return 0;
    if (m->kind == JSON_STRING)
        return !strcmp(m->s, want);
    if (m->kind != JSON_NESTED || m->s[0] != '[')
        return 0;
    /* json_object keeps nested values raw: scan the array's elements,
     * each of which must be a string without escapes. */
    size_t wl = strlen(want);
    const char *p = m->s + 1, *end = m->s + m->len - 1;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ',' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        if (*p != '"')
            return 0;
        const char *q = ++p;
        while (q < end && *q != '"' && *q != '\\')
            q++;
        if (q >= end || *q != '"')
            return 0;           /* escapes in an audience: not matched */
        if ((size_t)(q - p) == wl && !memcmp(p, want, wl))
            return 1;
        p = q + 1;
    }
    return 0;
}

int jwt_verify(const char *tok, size_t n, const struct jwt_policy *pol, struct jwt_claims *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || n > JWT_MAX) {
        *why = "the token is empty or too long";
        return -1;
    }
    const char *d1 = memchr(tok, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - tok))) {
        *why = "not a JWS compact token (three base64url parts)";
        return -1;
    }
    size_t hl = (size_t)(d1 - tok), pl = (size_t)(d2 - d1 - 1), sl = n - (size_t)(d2 + 1 - tok);
    /* One allocation: decoded header, payload, signature, JSON scratch. */
    size_t cap = 2 * n + 4 * MEMBERS + 64;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        *why = "no memory";
        return -1;
    }
    int rc = -1;
    uint8_t *hdr = buf, *pay = hdr + hl + 1, *sig = pay + pl + 1;
    char *scratch = (char *)sig + sl + 1;
    long hn = base64url_decode(tok, hl, hdr, hl), pn = base64url_decode(d1 + 1, pl, pay, pl);
    long sn = base64url_decode(d2 + 1, sl, sig, sl);
    if (hn <= 0 || pn <= 0 || sn < 0) {
        *why = "a part of the token is not base64url";
        goto done;
    }
    struct json_member h[MEMBERS], p[MEMBERS];
    const char *jwhy;
    size_t at;
    int nh = json_object((const char *)hdr, (size_t)hn, h, MEMBERS, scratch, &jwhy, &at);
    if (nh < 0) {
        *why = "the token's header is not a JSON object";
        goto done;
    }
    const struct json_member *alg = get(h, nh, "alg"), *kid = get(h, nh, "kid");
    if (get(h, nh, "crit")) {
        *why = "the token has critical header extensions";
        goto done;
    }
    enum jwt_alg a;
    if (alg && alg->kind == JSON_STRING && !strcmp(alg->s, "HS256"))
        a = JWT_HS256;
    else if (alg && alg->kind == JSON_STRING && !strcmp(alg->s, "ES256"))
        a = JWT_ES256;
    else {
        *why = "the token's algorithm is not HS256 or ES256";
        goto done;
    }
    const struct jwt_key *key = NULL;
    for (unsigned i = 0; i < pol->nkeys && !key; i++) {
        const struct jwt_key *k = &pol->keys[i];
        if (kid && kid->kind == JSON_STRING ? (k->kid && !strcmp(k->kid, kid->s)) : k->alg == a)
            key = k;
    }
    if (!key) {
        *why = "no key for the token (kid or algorithm)";
        goto done;
    }
    if (key->alg != a) {
        *why = "the token's algorithm is not its key's";
        goto done;
    }
    size_t signed_len = hl + 1 + pl;
    if (a == JWT_HS256) {
        uint8_t mac[32];
        hmac_sha256(key->secret, key->secret_len, tok, signed_len, mac);
        if (sn != 32 || !crypto_equal(mac, sig, 32)) {
            *why = "the token's signature does not verify";
            goto done;
        }
    } else {
        uint8_t hash[32];
        sha256_digest(tok, signed_len, hash);
        if (sn != 64 || !ecdsa_p256_verify(key->pub, hash, sig)) {
            *why = "the token's signature does not verify";
            goto done;
        }
    }
    int np = json_object((const char *)pay, (size_t)pn, p, MEMBERS, scratch, &jwhy, &at);
    if (np < 0) {
        *why = "the token's claims are not a JSON object";
        goto done;
    }
    int64_t exp, nbf;
    if (numeric_date(get(p, np, "exp"), &exp) < 0) {
        *why = "the token has no expiry (exp)";
        goto done;
    }
    if (pol->now > exp + (int64_t)pol->leeway_s) {
        *why = "the token has expired";
        goto done;
    }
    if (get(p, np, "nbf") && (numeric_date(get(p, np, "nbf"), &nbf) < 0 || pol->now + (int64_t)pol->leeway_s < nbf)) {
        *why = "the token is not valid yet (nbf)";
        goto done;
    }
    const struct json_member *iss = get(p, np, "iss");
    if (pol->iss && !(iss && iss->kind == JSON_STRING && !strcmp(iss->s, pol->iss))) {
        *why = "the token's issuer (iss) is not the configured one";
        goto done;
    }
    if (pol->aud && !audience_ok(get(p, np, "aud"), pol->aud)) {
        *why = "the token is not for this audience (aud)";
        goto done;
    }
    const struct json_member *sub = get(p, np, pol->sub_claim ? pol->sub_claim : "sub"),
                             *role = get(p, np, pol->role_claim ? pol->role_claim : "role");
    /* An integer subject (the seeds' "userId": 123) becomes its decimal text. */
    if (sub && sub->kind == JSON_INT)
        snprintf(out->sub, sizeof out->sub, "%lld", (long long)sub->i);
    else if (sub && copy_str(sub, out->sub, sizeof out->sub) < 0) {
        *why = "the token's subject is not a short string or an integer";
        goto done;
    }
    if (role && copy_str(role, out->role, sizeof out->role) < 0) {
        *why = "the token's role is not a short string";
        goto done;
    }
    out->exp = exp;
    rc = 0;
done:
    free(buf);
    return rc;
}

int jwt_subject_id(const char *sub, int64_t *id)
{
    const char *p = sub;
    int neg = *p == '-';
    p += neg;
    if (!*p || (*p == '0' && (p[1] || neg)))
        return 0;                       /* empty, "-", "-0", leading zeros */
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > (lim - (uint64_t)(*p - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *id = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}
