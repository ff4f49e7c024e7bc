/* kernel/config_auth.c: the config's auth section (docs/auth.md): roles
 * and their permissions, API keys (their SHA-256 only), JWT keys (HS256
 * secrets, ES256 public keys), the session cookie, CSRF, password hashing
 * and login limits. Pure, like the rest of the config; the PEM decoding
 * of ES256 keys is config_tls.c's (BearSSL).
 *
 *   config_sec_auth(v, sec)    validate into v->c->auth (enabled = 1)
 *   config_check_auth(v)       after every section: `audit on` needs a database
 *   config_show_auth(c, b)     the effective section (file names and key
 *                              hashes, never a secret's bytes)
 *   config_auth_defaults(a)    the defaults, set with or without a section
 *                              (sql routes' hash-password works without one)
 *
 * Invariants: every role's permissions are indexes into auth.perm, which
 * holds each permission name once, in order of first mention; every API
 * key's role is a declared role (roles may be declared after the keys
 * that use them: keys are resolved once every role line is read); no two
 * keys share a name or a hash; no two JWT keys share a kid.
 */
#include "kernel/config_kit.h"

#include <stdio.h>
#include <string.h>
#include "kernel/config_tls.h"

void config_auth_defaults(struct config_auth *a)
{
    /* OWASP's PBKDF2-HMAC-SHA256 floor; nginx-like login throttling. */
    a->api_key_header = "X-API-Key";
    a->jwt_leeway_s = 30;
    a->jwt_user_claim = "sub";
    a->jwt_role_claim = "role";
    a->cookie = "sid";
    a->session_max_age_s = 86400;
    a->session_path = "/";
    a->same_site = CONFIG_SAMESITE_LAX;
    a->session_cache = 1024;
    a->csrf_header = "X-CSRF-Token";
    a->password_iterations = CONFIG_PASSWORD_ITER_MIN;
    a->password_min = 8;
    a->password_max = 1024;
    a->hash_concurrency = 2;
    a->login_per_min = 10;
    a->login_burst = 10;
    a->account_per_min = 5;
    a->account_burst = 5;
    a->audit = 1;
}

/* Role and permission names: [a-z0-9_-], 1-64 bytes. */
static int word_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CONFIG_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* 1-64 bytes of letters, digits and the characters of extra. */
static int chars_ok(const char *s, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > CONFIG_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return 0;
    return 1;
}

/* An RFC 9110 token (a header field name, an RFC 6265 cookie name). */
#define TCHARS "!#$%&'*+-.^_`|~"
#define HEADER_NAME "a header field name: letters, digits and " TCHARS ", 1-64 characters"

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* Printable ASCII (spaces allowed), 1-255 bytes: issuer, audience. */
static int text_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* https://host[:port], lower case, no path (an Origin header's value). */
static int https_origin_ok(const char *s)
{
    if (strncmp(s, "https://", 8) != 0 || !s[8] || strlen(s) > 255)
        return 0;
    int colon = 0;
    for (const char *p = s + 8; *p; p++) {
        if (*p == ':') {
            if (colon++ || p == s + 8 || !p[1])
                return 0;
        } else if (colon ? !(*p >= '0' && *p <= '9')
                         : !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
            return 0;
        }
    }
    return 1;
}

/* A DNS name (cookie Domain): labels of letters, digits and '-' (not at
 * either end), 1-63 bytes, 253 in all; no leading or trailing dot. */
static int dns_name_ok(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = s[i];
        if (ch == '.' || ch == 0) {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                   (ch == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* A signed 64-bit decimal integer, no leading zeros. */
static int parse_int64(const char *s, int64_t *out)
{
    int neg = *s == '-';
    uint64_t u;
    if (kit_parse_uint(s + neg, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u) < 0 ||
        (neg && u == 0))
        return -1;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* One argument, kept in the arena when ok(s) holds; else what. */
static int one_value(struct vctx *v, const struct conf_node *n, int (*ok)(const char *), const char *what,
                     const char *usage, const char **out)
{
    if (kit_want_args(v, n, 1, usage) < 0)
        return -1;
    const char *s = kit_arg(v, n, 0)->s;
    if (!ok(s))
        return verr_arg(v, n, 0, "'%s' is not %s (%s)", s, what, usage);
    return (*out = kit_keep(v, n, s)) ? 0 : -1;
}

static int token_ok(const char *s)
{
    return chars_ok(s, TCHARS);
}

static int claim_ok(const char *s)
{
    return chars_ok(s, "_-.:/");
}

/* role NAME PERM... */
static int opt_role(struct vctx *v, const struct conf_node *o)
{
    struct config_auth *a = &v->c->auth;
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs == 0)
        return verr(v, o->line, o->col, "'role' takes a name and its permissions (e.g. role editor read "
                    "write; a role may have none)");
    if (a->nroles == CONFIG_ROLES_MAX)
        return verr(v, o->line, o->col, "more than %d roles", CONFIG_ROLES_MAX);
    struct config_role *r = &a->role[a->nroles];
    const char *name = kit_arg(v, o, 0)->s;
    if (!word_ok(name))
        return verr_arg(v, o, 0, "'%s' is not a role name (a-z, 0-9, '_' and '-', 1-%d characters)", name,
                        CONFIG_NAME_MAX);
    for (unsigned i = 0; i < a->nroles; i++)
        if (!strcmp(a->role[i].name, name))
            return verr_arg(v, o, 0, "role '%s' declared twice (one line per role)", name);
    if (!(r->name = kit_keep(v, o, name)))
        return -1;
    r->perms = 0;
    for (unsigned k = 1; k < o->nargs; k++) {
        const char *p = kit_arg(v, o, k)->s;
        if (!word_ok(p))
            return verr_arg(v, o, k, "'%s' is not a permission name (a-z, 0-9, '_' and '-', 1-%d "
                            "characters)", p, CONFIG_NAME_MAX);
        unsigned i = 0;
        while (i < a->nperms && strcmp(a->perm[i], p))
            i++;
        if (i == a->nperms) {
            if (a->nperms == CONFIG_PERMS_MAX)
                return verr_arg(v, o, k, "more than %d distinct permissions", CONFIG_PERMS_MAX);
            if (!(a->perm[a->nperms++] = kit_keep(v, o, p)))
                return -1;
        }
        if (r->perms >> i & 1)
            return verr_arg(v, o, k, "'%s' is listed twice in role '%s'", p, name);
        r->perms |= 1u << i;
    }
    a->nroles++;
    return 0;
}

/* api-key NAME role ROLE sha256 HEX [user N] */
static int opt_api_key(struct vctx *v, const struct conf_node *o)
{
    struct config_auth *a = &v->c->auth;
    const char *usage = "api-key NAME role ROLE sha256 HEX [user N], e.g. api-key ci-bot role admin sha256 "
                        "HEX; printf %s \"$KEY\" | sha256sum makes HEX";
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs != 5 && o->nargs != 7)
        return verr(v, o->line, o->col, "'api-key' takes a name, role ROLE, sha256 HEX and optionally "
                    "user N (%s)", usage);
    static const char *const words[] = { NULL, "role", NULL, "sha256", NULL, "user" };
    for (unsigned k = 1; k < o->nargs; k += 2)
        if (strcmp(kit_arg(v, o, k)->s, words[k]))
            return verr_arg(v, o, k, "expected '%s' here (%s)", words[k], usage);
    if (a->nkeys == CONFIG_API_KEYS_MAX)
        return verr(v, o->line, o->col, "more than %d API keys", CONFIG_API_KEYS_MAX);
    struct config_api_key *key = &a->key[a->nkeys];
    memset(key, 0, sizeof *key);
    const char *name = kit_arg(v, o, 0)->s;
    if (!chars_ok(name, "_-."))
        return verr_arg(v, o, 0, "'%s' is not a key name (letters, digits, '_', '-' and '.', 1-%d "
                        "characters)", name, CONFIG_NAME_MAX);
    for (unsigned i = 0; i < a->nkeys; i++)
        if (!strcmp(a->key[i].name, name))
            return verr_arg(v, o, 0, "api-key '%s' declared twice (names are unique)", name);
    const char *role = kit_arg(v, o, 2)->s;
    unsigned r = 0;
    while (r < a->nroles && strcmp(a->role[r].name, role))
        r++;
    if (r == a->nroles) {
        char known[CONFIG_ROLES_MAX * (CONFIG_NAME_MAX + 2) + 1] = "";
        for (unsigned i = 0; i < a->nroles; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     a->role[i].name);
        if (a->nroles)
            return verr_arg(v, o, 2, "'%s' is not a declared role (declared: %s)", role, known);
        return verr_arg(v, o, 2, "'%s' is not a declared role (declare it in this section: role %s PERM...)",
                        role, role);
    }
    const char *hex = kit_arg(v, o, 4)->s;
    size_t hk = strspn(hex, "0123456789abcdefABCDEF");
    if (hk != 64 || hex[hk])
        return verr_arg(v, o, 4, "a SHA-256 is 64 hex digits (printf %%s \"$KEY\" | sha256sum); never put "
                        "the key itself here");
    for (unsigned i = 0; i < 32; i++)
        key->sha256[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
    /* SHA-256 of the empty string: an empty key header would match it. */
    static const uint8_t empty[32] = { 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                       0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                       0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
    if (!memcmp(key->sha256, empty, 32))
        return verr_arg(v, o, 4, "this is the SHA-256 of an empty key (printf %%s \"$KEY\" with KEY unset?): "
                        "an empty header would match it");
    for (unsigned i = 0; i < a->nkeys; i++)
        if (!memcmp(a->key[i].sha256, key->sha256, 32))
            return verr_arg(v, o, 4, "the same key hash as api-key '%s' (one key, one name)", a->key[i].name);
    if (o->nargs == 7) {
        if (parse_int64(kit_arg(v, o, 6)->s, &key->user) < 0)
            return verr_arg(v, o, 6, "'%s' is not a user id (a whole number, 64-bit)", kit_arg(v, o, 6)->s);
        key->has_user = 1;
    }
    if (!(key->name = kit_keep(v, o, name)))
        return -1;
    key->role = r;
    a->nkeys++;
    return 0;
}

/* jwt-key NAME hs256 secret-file FILE | jwt-key NAME es256 public-key FILE */
static int opt_jwt_key(struct vctx *v, const struct conf_node *o)
{
    struct config_auth *a = &v->c->auth;
    const char *usage = "e.g. jwt-key main hs256 secret-file jwt.secret, or jwt-key idp es256 public-key "
                        "idp.pem";
    if (kit_want_args(v, o, 4, usage) < 0)
        return -1;
    if (a->njwt == CONFIG_JWT_KEYS_MAX)
        return verr(v, o->line, o->col, "more than %d JWT keys", CONFIG_JWT_KEYS_MAX);
    struct config_jwt_key *j = &a->jwt[a->njwt];
    memset(j, 0, sizeof *j);
    const char *name = kit_arg(v, o, 0)->s, *alg = kit_arg(v, o, 1)->s, *what = kit_arg(v, o, 2)->s;
    if (!chars_ok(name, "_-.~+/="))
        return verr_arg(v, o, 0, "'%s' is not a key id (letters, digits and _-.~+/=, 1-%d characters; the "
                        "tokens' \"kid\")", name, CONFIG_NAME_MAX);
    for (unsigned i = 0; i < a->njwt; i++)
        if (!strcmp(a->jwt[i].name, name))
            return verr_arg(v, o, 0, "jwt-key '%s' declared twice (a kid names one key)", name);
    if (strcmp(alg, "hs256") && strcmp(alg, "es256"))
        return verr_arg(v, o, 1, "'%s' is not an algorithm: hs256 or es256 (no others are accepted)", alg);
    j->es256 = alg[0] == 'e';
    const char *want = j->es256 ? "public-key" : "secret-file";
    if (strcmp(what, want))
        return verr_arg(v, o, 2, "expected '%s' here (%s)", want, usage);
    if (kit_file(v, o, 3, &j->file) < 0)
        return -1;
    if (!j->es256 && (j->file.len < 32 || j->file.len > 1024))
        return verr_arg(v, o, 3, "'%s' is %zu bytes: an HS256 secret is 32-1024 bytes (RFC 7518 3.2; "
                        "openssl rand -out %s 32)", j->file.path, j->file.len, j->file.path);
    if (j->es256) {
        char why[200];
        if (config_p256_public_key(j->file.data, j->file.len, j->pub, why, sizeof why) < 0)
            return verr_arg(v, o, 3, "'%s': %s", j->file.path, why);
    }
    if (!(j->name = kit_keep(v, o, name)))
        return -1;
    a->njwt++;
    return 0;
}

/* csrf-origin O... */
static int opt_csrf_origin(struct vctx *v, const struct conf_node *o)
{
    struct config_auth *a = &v->c->auth;
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs == 0)
        return verr(v, o->line, o->col, "'csrf-origin' takes origins (e.g. csrf-origin https://app.example)");
    for (unsigned k = 0; k < o->nargs; k++) {
        const char *s = kit_arg(v, o, k)->s;
        if (!https_origin_ok(s))
            return verr_arg(v, o, k, "'%s' is not an origin: https://host[:port] in lower case, no path or "
                            "trailing '/'", s);
        for (unsigned i = 0; i < a->ncsrf_origins; i++)
            if (!strcmp(a->csrf_origin[i], s))
                return verr_arg(v, o, k, "'%s' is listed twice", s);
        if (a->ncsrf_origins == CONFIG_CSRF_ORIGINS_MAX)
            return verr_arg(v, o, k, "more than %d csrf origins", CONFIG_CSRF_ORIGINS_MAX);
        if (!(a->csrf_origin[a->ncsrf_origins++] = kit_keep(v, o, s)))
            return -1;
    }
    return 0;
}

/* Durations kept in whole seconds. */
static int seconds(struct vctx *v, const struct conf_node *n, uint64_t lo_s, uint64_t hi_s, uint32_t *out)
{
    uint64_t x;
    if (kit_duration_ms(v, n, lo_s * 1000, hi_s * 1000, &x) < 0)
        return -1;
    if (x % 1000)
        return verr_arg(v, n, 0, "'%s' is whole seconds", n->name);
    *out = (uint32_t)(x / 1000);
    return 0;
}

/* Invariant: the slots in docs/auth.md's order; the repeating ones are
 * read by walking the section, the others from their slot. */
enum {
    S_ROLE, S_API_KEY, S_API_KEY_HEADER, S_JWT_KEY, S_JWT_LEEWAY, S_JWT_ISSUER, S_JWT_AUDIENCE,
    S_JWT_USER_CLAIM, S_JWT_ROLE_CLAIM, S_SESSION_COOKIE, S_SESSION_MAX_AGE, S_SESSION_PATH,
    S_SESSION_DOMAIN, S_SESSION_SAME_SITE, S_SESSION_CACHE, S_CSRF_ORIGIN, S_CSRF_HEADER,
    S_PASSWORD_ITERATIONS, S_PASSWORD_LENGTH, S_HASH_CONCURRENCY, S_LOGIN_LIMIT, S_ACCOUNT_LIMIT,
    S_AUDIT, S_COUNT
};

int config_sec_auth(struct vctx *v, const struct conf_node *sec)
{
    struct config_auth *a = &v->c->auth;
    struct slot slot[S_COUNT] = {
        { "role", NULL, 1 | KIT_FREE_WORDS }, { "api-key", NULL, 1 | KIT_FREE_WORDS },
        { "api-key-header", NULL, 0 }, { "jwt-key", NULL, 1 },
        { "jwt-leeway", NULL, 0 }, { "jwt-issuer", NULL, 0 }, { "jwt-audience", NULL, 0 },
        { "jwt-user-claim", NULL, 0 }, { "jwt-role-claim", NULL, 0 }, { "session-cookie", NULL, 0 },
        { "session-max-age", NULL, 0 }, { "session-path", NULL, 0 }, { "session-domain", NULL, 0 },
        { "session-same-site", NULL, 0 }, { "session-cache", NULL, 0 }, { "csrf-origin", NULL, 1 },
        { "csrf-header", NULL, 0 }, { "password-iterations", NULL, 0 }, { "password-length", NULL, 0 },
        { "hash-concurrency", NULL, 0 }, { "login-limit", NULL, 0 }, { "account-limit", NULL, 0 },
        { "audit", NULL, 0 },
    };
    if (kit_collect(v, sec, slot, S_COUNT) < 0)
        return -1;
    a->enabled = 1;
    /* Roles first, so keys may name a role declared below them. The
     * words of role and api-key lines are free: a permission may be
     * called audit, a key's role is introduced by 'role'. */
    static int (*const repeated[])(struct vctx *, const struct conf_node *) = {
        opt_role, opt_api_key, opt_jwt_key, opt_csrf_origin,
    };
    static const char *const repeated_names[] = { "role", "api-key", "jwt-key", "csrf-origin" };
    for (unsigned pass = 0; pass < 4; pass++)
        for (int16_t i = sec->first_child; i >= 0; i = v->d->nodes[i].next) {
            const struct conf_node *o = &v->d->nodes[i];
            if (!strcmp(o->name, repeated_names[pass]) && repeated[pass](v, o) < 0)
                return -1;
        }
    const struct conf_node *n;
    uint64_t x;
    if ((n = slot[S_API_KEY_HEADER].node)) {
        if (one_value(v, n, token_ok, HEADER_NAME, "e.g. api-key-header X-API-Key", &a->api_key_header) < 0)
            return -1;
        if (ieq(a->api_key_header, "Authorization") || ieq(a->api_key_header, "Cookie"))
            return verr_arg(v, n, 0, "'%s' already carries credentials: the API-key header is another one "
                            "(e.g. X-API-Key; keys are always accepted as Authorization: Bearer too)",
                            a->api_key_header);
    }
    if ((n = slot[S_JWT_LEEWAY].node) && seconds(v, n, 0, 300, &a->jwt_leeway_s) < 0)
        return -1;
    if ((n = slot[S_JWT_ISSUER].node) &&
        one_value(v, n, text_ok, "an issuer: printable text, 1-255 characters",
                  "e.g. jwt-issuer https://idp.example", &a->jwt_issuer) < 0)
        return -1;
    if ((n = slot[S_JWT_AUDIENCE].node) &&
        one_value(v, n, text_ok, "an audience: printable text, 1-255 characters", "e.g. jwt-audience my-api",
                  &a->jwt_audience) < 0)
        return -1;
    if ((n = slot[S_JWT_USER_CLAIM].node) &&
        one_value(v, n, claim_ok, "a claim name: letters, digits and _-.:/, 1-64 characters",
                  "e.g. jwt-user-claim sub", &a->jwt_user_claim) < 0)
        return -1;
    if ((n = slot[S_JWT_ROLE_CLAIM].node) &&
        one_value(v, n, claim_ok, "a claim name: letters, digits and _-.:/, 1-64 characters",
                  "e.g. jwt-role-claim role", &a->jwt_role_claim) < 0)
        return -1;
    if ((n = slot[S_SESSION_COOKIE].node) &&
        one_value(v, n, token_ok, "a cookie name: letters, digits and " TCHARS ", 1-64 characters",
                  "e.g. session-cookie sid", &a->cookie) < 0)
        return -1;
    if ((n = slot[S_SESSION_MAX_AGE].node) && seconds(v, n, 60, 365 * 86400, &a->session_max_age_s) < 0)
        return -1;
    if ((n = slot[S_SESSION_PATH].node)) {
        if (kit_want_args(v, n, 1, "e.g. session-path /") < 0)
            return -1;
        const char *s = kit_arg(v, n, 0)->s;
        int ok = s[0] == '/' && strlen(s) <= CONFIG_PATTERN_MAX;
        for (const char *q = s; ok && *q; q++)
            ok = (unsigned char)*q > 0x20 && (unsigned char)*q < 0x7f && *q != ';';
        if (!ok)
            return verr_arg(v, n, 0, "'%s' is not a cookie path: /... in printable ASCII, no spaces or ';'", s);
        if (!(a->session_path = kit_keep(v, n, s)))
            return -1;
    }
    if ((n = slot[S_SESSION_DOMAIN].node)) {
        if (kit_want_args(v, n, 1, "e.g. session-domain example.com") < 0)
            return -1;
        const char *s = kit_arg(v, n, 0)->s;
        if (!dns_name_ok(s))
            return verr_arg(v, n, 0, "'%s' is not a domain: a DNS name such as example.com (no leading dot, "
                            "port or IP address)", s);
        char low[254];
        size_t k = 0;
        for (; s[k]; k++)
            low[k] = s[k] >= 'A' && s[k] <= 'Z' ? (char)(s[k] + 32) : s[k];
        low[k] = 0;
        if (!(a->session_domain = kit_keep(v, n, low)))
            return -1;
    }
    if ((n = slot[S_SESSION_SAME_SITE].node)) {
        if (kit_want_args(v, n, 1, "lax, strict or none") < 0)
            return -1;
        const char *s = kit_arg(v, n, 0)->s;
        if (!strcmp(s, "lax"))
            a->same_site = CONFIG_SAMESITE_LAX;
        else if (!strcmp(s, "strict"))
            a->same_site = CONFIG_SAMESITE_STRICT;
        else if (!strcmp(s, "none"))
            a->same_site = CONFIG_SAMESITE_NONE;
        else
            return verr_arg(v, n, 0, "'%s': session-same-site is lax, strict or none", s);
    }
    if ((n = slot[S_SESSION_CACHE].node)) {
        if (kit_uint(v, n, 16, 65536, &x) < 0)
            return -1;
        a->session_cache = (uint32_t)x;
    }
    /* A __Host- cookie (RFC 6265bis 4.1.3.2) is refused by browsers with a
     * Domain or a Path other than /. */
    if (!strncmp(a->cookie, "__Host-", 7) && (a->session_domain || strcmp(a->session_path, "/"))) {
        n = slot[S_SESSION_DOMAIN].node ? slot[S_SESSION_DOMAIN].node : slot[S_SESSION_PATH].node;
        return verr(v, n->line, n->col, "a __Host- cookie needs session-path / and no session-domain "
                    "(browsers refuse it otherwise)");
    }
    if ((n = slot[S_CSRF_HEADER].node) &&
        one_value(v, n, token_ok, HEADER_NAME, "e.g. csrf-header X-CSRF-Token", &a->csrf_header) < 0)
        return -1;
    if ((n = slot[S_PASSWORD_ITERATIONS].node)) {
        if (kit_uint(v, n, CONFIG_PASSWORD_ITER_MIN, 10000000, &x) < 0)
            return -1;
        a->password_iterations = (uint32_t)x;
    }
    if ((n = slot[S_PASSWORD_LENGTH].node)) {
        const char *usage = "characters, 1 <= A <= B <= 4096, e.g. password-length 8..1024";
        if (kit_want_args(v, n, 1, usage) < 0)
            return -1;
        const char *s = kit_arg(v, n, 0)->s, *dots = strstr(s, "..");
        char lo[8];
        uint64_t b;
        if (!dots || (size_t)(dots - s) >= sizeof lo)
            return verr_arg(v, n, 0, "'%s' is not a length A..B (%s)", s, usage);
        memcpy(lo, s, (size_t)(dots - s));
        lo[dots - s] = 0;
        if (kit_parse_uint(lo, 4096, &x) < 0 || kit_parse_uint(dots + 2, 4096, &b) < 0 || x < 1 || b < x)
            return verr_arg(v, n, 0, "'%s' is not a length A..B (%s)", s, usage);
        a->password_min = (uint32_t)x;
        a->password_max = (uint32_t)b;
    }
    if ((n = slot[S_HASH_CONCURRENCY].node)) {
        if (kit_uint(v, n, 1, 64, &x) < 0)
            return -1;
        a->hash_concurrency = (uint32_t)x;
    }
    if ((n = slot[S_LOGIN_LIMIT].node) &&
        kit_rate(v, n, "e.g. login-limit 10/m burst 10", &a->login_per_min, &a->login_burst) < 0)
        return -1;
    if ((n = slot[S_ACCOUNT_LIMIT].node) &&
        kit_rate(v, n, "e.g. account-limit 5/m burst 5", &a->account_per_min, &a->account_burst) < 0)
        return -1;
    if ((n = slot[S_AUDIT].node)) {
        if (kit_want_args(v, n, 1, "audit on or audit off") < 0)
            return -1;
        const char *s = kit_arg(v, n, 0)->s;
        if (strcmp(s, "on") && strcmp(s, "off"))
            return verr_arg(v, n, 0, "'%s': audit is on or off", s);
        a->audit = s[1] == 'n';
    }
    return 0;
}

/* The auth section's node in the document, and its child named name. */
static const struct conf_node *find(const struct vctx *v, int16_t first, const char *name)
{
    for (int16_t i = first; i >= 0; i = v->d->nodes[i].next)
        if (!strcmp(v->d->nodes[i].name, name))
            return &v->d->nodes[i];
    return NULL;
}

/* The static route that serves path (as its file, or inside its
 * directory), or NULL. */
static const struct config_route *served(const struct config *c, const char *path)
{
    for (unsigned i = 0; i < c->nroutes; i++) {
        const struct config_route *r = &c->routes[i];
        size_t k = r->kind == CONFIG_ROUTE_STATIC ? strlen(r->target) : 0;
        if (k && !strncmp(path, r->target, k) && (!path[k] || (r->target_is_dir && path[k] == '/')))
            return r;
    }
    return NULL;
}

int config_check_auth(struct vctx *v)
{
    /* The section may come before or after the database's and the
     * routes': checked here, once all are read. */
    const struct config_auth *a = &v->c->auth;
    const struct conf_node *sec = find(v, v->d->first, "auth");
    if (!sec)
        return 0;
    /* The default (on) just means no table without a database. */
    const struct conf_node *n = find(v, sec->first_child, "audit");
    if (n && a->audit && !v->c->database.enabled)
        return verr(v, n->line, n->col, "'audit on' keeps the appliance_audit table: it needs a database "
                    "section (database { disk vda }), or write audit off");
    /* The i-th jwt-key line made jwt[i]. */
    unsigned i = 0;
    for (int16_t k = sec->first_child; k >= 0 && i < a->njwt; k = v->d->nodes[k].next) {
        n = &v->d->nodes[k];
        if (strcmp(n->name, "jwt-key"))
            continue;
        const struct config_route *r = a->jwt[i].es256 ? NULL : served(v->c, a->jwt[i].file.path);
        if (r)
            return verr_arg(v, n, 3, "'%s' is a secret, but the static route at line %u serves it (keep it "
                            "out of served directories)", a->jwt[i].file.path, r->line);
        i++;
    }
    return 0;
}

void config_show_auth(const struct config *c, struct sbuf *b)
{
    const struct config_auth *a = &c->auth;
    if (!a->enabled)
        return;
    sb_printf(b, "auth {\n");
    for (unsigned i = 0; i < a->nroles; i++) {
        sb_printf(b, "    role %s", a->role[i].name);
        for (unsigned k = 0; k < a->nperms; k++)
            if (a->role[i].perms >> k & 1)
                sb_printf(b, " %s", a->perm[k]);
        sb_printf(b, "\n");
    }
    for (unsigned i = 0; i < a->nkeys; i++) {
        const struct config_api_key *k = &a->key[i];
        sb_printf(b, "    api-key %s role %s sha256 ", k->name, a->role[k->role].name);
        for (unsigned j = 0; j < 32; j++)
            sb_printf(b, "%02x", k->sha256[j]);
        if (k->has_user)
            sb_printf(b, " user %lld", (long long)k->user);
        sb_printf(b, "\n");
    }
    sb_printf(b, "    api-key-header %s\n", a->api_key_header);
    for (unsigned i = 0; i < a->njwt; i++) {
        const struct config_jwt_key *j = &a->jwt[i];
        /* The file's name only: an HS256 secret's bytes are never shown. */
        sb_printf(b, "    jwt-key %s %s ", j->name, j->es256 ? "es256 public-key" : "hs256 secret-file");
        sb_value(b, j->file.path);
        sb_printf(b, "\n");
    }
    sb_printf(b, "    jwt-leeway ");
    sb_duration(b, (uint64_t)a->jwt_leeway_s * 1000);
    sb_printf(b, "\n");
    if (a->jwt_issuer) {
        sb_printf(b, "    jwt-issuer ");
        sb_value(b, a->jwt_issuer);
        sb_printf(b, "\n");
    }
    if (a->jwt_audience) {
        sb_printf(b, "    jwt-audience ");
        sb_value(b, a->jwt_audience);
        sb_printf(b, "\n");
    }
    sb_printf(b, "    jwt-user-claim %s\n    jwt-role-claim %s\n", a->jwt_user_claim, a->jwt_role_claim);
    sb_printf(b, "    session-cookie ");
    sb_value(b, a->cookie);
    sb_printf(b, "\n    session-max-age ");
    sb_duration(b, (uint64_t)a->session_max_age_s * 1000);
    sb_printf(b, "\n    session-path ");
    sb_value(b, a->session_path);
    sb_printf(b, "\n");
    if (a->session_domain)
        sb_printf(b, "    session-domain %s\n", a->session_domain);
    static const char *const same_site[] = { "lax", "strict", "none" };
    sb_printf(b, "    session-same-site %s\n    session-cache %u\n", same_site[a->same_site % 3],
              a->session_cache);
    if (a->ncsrf_origins) {
        sb_printf(b, "    csrf-origin");
        for (unsigned i = 0; i < a->ncsrf_origins; i++)
            sb_printf(b, " %s", a->csrf_origin[i]);
        sb_printf(b, "\n");
    }
    sb_printf(b, "    csrf-header ");
    sb_value(b, a->csrf_header);
    sb_printf(b, "\n    password-iterations %u\n    password-length %u..%u\n    hash-concurrency %u\n",
              a->password_iterations, a->password_min, a->password_max, a->hash_concurrency);
    sb_printf(b, "    login-limit ");
    sb_rate(b, a->login_per_min, a->login_burst);
    sb_printf(b, "\n    account-limit ");
    sb_rate(b, a->account_per_min, a->account_burst);
    sb_printf(b, "\n");
    /* Without a database there is no table: the effective value is off
     * (and `audit on` would not parse back). */
    sb_printf(b, "    audit %s\n", a->audit && c->database.enabled ? "on" : "off");
    sb_printf(b, "}\n");
}

void config_warn_auth(const struct config *c, struct sbuf *b)
{
    const struct config_auth *a = &c->auth;
    for (unsigned i = 0; i < a->njwt; i++) {
        const struct config_file *f = &a->jwt[i].file;
        if (!a->jwt[i].es256 && f->data && f->len && f->data[f->len - 1] == '\n')
            sb_printf(b, "warning: jwt-key %s: %s ends in a newline, which is part of the HS256 secret "
                      "(write the file without one: printf %%s \"$SECRET\" > %s)\n", a->jwt[i].name, f->path,
                      f->path);
    }
    if (c->tls.enabled)
        return;
    for (unsigned i = 0; i < c->nroutes; i++)
        if (c->routes[i].kind == CONFIG_ROUTE_LOGIN) {
            sb_printf(b, "warning: login route %s without a tls section: session cookies are Secure, and "
                      "browsers neither send nor keep Secure cookies over plain http (add a tls section)\n",
                      c->routes[i].pattern);
            break;
        }
}
