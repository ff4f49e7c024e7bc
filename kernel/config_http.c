/* kernel/config_http.c: the limits section (HTTP connection limits and
 * timeouts) and the routes section (docs/config.md).
 *
 *   routes {
 *       METHODS PATTERN KIND [ARGS...] [{ OPTIONS }]
 *   }
 *
 * METHODS is GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, a comma list of
 * them, or ANY (GET includes HEAD). PATTERN is /segments with :param
 * segments and an optional trailing *. KIND is static, redirect, health,
 * ready, metrics, sql, handler, backup, login or logout. Two routes with
 * the same method and the same pattern shape (parameter names aside) are
 * an error.
 *
 * Credentials (docs/auth.md): a route's `auth SCHEME...` and `permission
 * PERM` are read with its options; the schemes a `permission` alone
 * implies, and the names against the auth section, are resolved in
 * config_check_routes, once every section is read (the auth section may
 * follow the routes). metrics and backup routes are internal: they say
 * who may call them, if only `auth none`.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/config_kit.h"

/* ------------------------------------------------------------ limits */

static const struct limit {
    const char *name;
    enum { L_COUNT, L_MS, L_SIZE } type;
    uint64_t lo, hi;
    size_t off;                     /* in struct config_limits */
    int wide;                       /* uint64_t field */
} limits[] = {
    { "connections", L_COUNT, 1, 4096, offsetof(struct config_limits, connections), 0 },
    { "header-timeout", L_MS, 1000, 300000, offsetof(struct config_limits, header_timeout_ms), 0 },
    { "body-timeout", L_MS, 1000, 3600000, offsetof(struct config_limits, body_timeout_ms), 0 },
    { "send-timeout", L_MS, 1000, 3600000, offsetof(struct config_limits, send_timeout_ms), 0 },
    { "keepalive-timeout", L_MS, 0, 3600000, offsetof(struct config_limits, keepalive_timeout_ms), 0 },
    { "keepalive-requests", L_COUNT, 1, 100000, offsetof(struct config_limits, keepalive_requests), 0 },
    { "drain-timeout", L_MS, 0, 600000, offsetof(struct config_limits, drain_timeout_ms), 0 },
    { "request-line-max", L_SIZE, 256, 65536, offsetof(struct config_limits, request_line_max), 0 },
    { "header-max", L_SIZE, 1024, 65536, offsetof(struct config_limits, header_max), 0 },
    { "headers-max", L_COUNT, 8, 512, offsetof(struct config_limits, headers_max), 0 },
    { "body-max", L_SIZE, 0, 1ull << 30, offsetof(struct config_limits, body_max), 1 },
};
#define NLIMITS (sizeof limits / sizeof limits[0])

static int limit_value(struct vctx *v, const struct conf_node *n, const struct limit *l, uint64_t *x)
{
    switch (l->type) {
    case L_COUNT: return kit_uint(v, n, l->lo, l->hi, x);
    case L_MS: return kit_duration_ms(v, n, l->lo, l->hi, x);
    default: return kit_size(v, n, l->lo, l->hi, x);
    }
}

int config_sec_limits(struct vctx *v, const struct conf_node *sec)
{
    struct slot slot[NLIMITS];
    for (size_t i = 0; i < NLIMITS; i++)
        slot[i] = (struct slot){ limits[i].name, NULL, 0 };
    if (kit_collect(v, sec, slot, NLIMITS) < 0)
        return -1;
    for (size_t i = 0; i < NLIMITS; i++) {
        uint64_t x;
        if (!slot[i].node)
            continue;
        if (limit_value(v, slot[i].node, &limits[i], &x) < 0)
            return -1;
        char *field = (char *)&v->c->limits + limits[i].off;
        if (limits[i].wide)
            memcpy(field, &x, sizeof x);
        else
            memcpy(field, &(uint32_t){ (uint32_t)x }, sizeof(uint32_t));
    }
    return 0;
}

void config_show_limits(const struct config *c, struct sbuf *b)
{
    sb_printf(b, "limits {\n");
    for (size_t i = 0; i < NLIMITS; i++) {
        const char *field = (const char *)&c->limits + limits[i].off;
        uint64_t x;
        if (limits[i].wide) {
            memcpy(&x, field, sizeof x);
        } else {
            uint32_t y;
            memcpy(&y, field, sizeof y);
            x = y;
        }
        sb_printf(b, "    %s ", limits[i].name);
        if (limits[i].type == L_MS)
            sb_duration(b, x);
        else if (limits[i].type == L_SIZE)
            sb_size(b, x);
        else
            sb_printf(b, "%llu", (unsigned long long)x);
        sb_printf(b, "\n");
    }
    sb_printf(b, "}\n");
}

/* ------------------------------------------------------------ routes */

static const char *const method_names[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
#define NMETHODS 7

/* Invariant: in enum config_route_kind's order. */
static const char *const kind_names[] = { "static", "redirect", "health", "ready", "metrics", "sql",
                                          "handler", "backup", "login", "logout" };
#define NKINDS 10

/* Credential schemes, in CONFIG_AUTH_* bit order. */
static const char *const scheme_names[] = { "api-key", "jwt", "session", "none" };
#define NSCHEMES 4

static int parse_methods(const char *s, unsigned *mask)
{
    *mask = 0;
    if (strcmp(s, "ANY") == 0) {
        *mask = CONFIG_M_ALL;
        return 0;
    }
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t k = comma ? (size_t)(comma - s) : strlen(s);
        unsigned bit = 0;
        for (unsigned i = 0; i < NMETHODS; i++)
            if (strlen(method_names[i]) == k && memcmp(method_names[i], s, k) == 0)
                bit = 1u << i;
        if (!bit || (*mask & bit))
            return -1;
        *mask |= bit;
        s += k;
        if (comma && !*++s)
            return -1;
    }
    /* RFC 9110 9.3.2: HEAD is GET without the body, wherever GET is. */
    if (*mask & CONFIG_M_GET)
        *mask |= CONFIG_M_HEAD;
    return *mask ? 0 : -1;
}

static int ident_char(char ch, int first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
           (!first && ch >= '0' && ch <= '9');
}

/* RFC 3986 pchar, minus '%' (percent-encoded patterns are not supported:
 * patterns match the decoded path) and minus ':' at a segment's start. */
static int pchar(char ch)
{
    return ident_char(ch, 0) || (ch && strchr("-.~!$&'()*+,;=:@", ch));
}

/* Checks a pattern; writes its shape (":" for every parameter) to shape.
 * Returns NULL or what is wrong. */
static const char *check_pattern(const char *p, char *shape, int *wild)
{
    char names[CONFIG_PARAMS_MAX][CONFIG_PATTERN_MAX + 1];
    unsigned nparams = 0;
    size_t o = 0;
    *wild = 0;
    if (p[0] != '/')
        return "a pattern starts with '/' (e.g. /api/posts/:id)";
    if (strlen(p) > CONFIG_PATTERN_MAX)
        return "pattern longer than 255 bytes";
    if (strcmp(p, "/") == 0) {
        strcpy(shape, "/");
        return NULL;
    }
    const char *s = p + 1;
    for (;;) {
        const char *end = strchr(s, '/');
        size_t k = end ? (size_t)(end - s) : strlen(s);
        if (k == 0)
            return end ? "empty segment ('//') in pattern" : "a pattern does not end in '/' "
                   "(write it without; docs/config.md has the trailing-slash policy)";
        if (*wild)
            return "'*' must be the last segment";
        shape[o++] = '/';
        if (k == 1 && s[0] == '*') {
            *wild = 1;
            shape[o++] = '*';
        } else if (s[0] == ':') {
            if (k == 1 || !ident_char(s[1], 1))
                return "a parameter is ':' and a name (letters, digits, '_'), e.g. :id";
            for (size_t i = 2; i < k; i++)
                if (!ident_char(s[i], 0))
                    return "a parameter is ':' and a name (letters, digits, '_'), e.g. :id";
            if (nparams == CONFIG_PARAMS_MAX)
                return "more than 8 parameters in one pattern";
            memcpy(names[nparams], s + 1, k - 1);
            names[nparams][k - 1] = 0;
            for (unsigned i = 0; i < nparams; i++)
                if (strcmp(names[i], names[nparams]) == 0)
                    return "the same parameter name twice in one pattern";
            nparams++;
            shape[o++] = ':';
        } else {
            if ((k == 1 && s[0] == '.') || (k == 2 && s[0] == '.' && s[1] == '.'))
                return "'.' and '..' segments are not allowed in a pattern";
            for (size_t i = 0; i < k; i++) {
                if (s[i] == '*')
                    return "'*' is a whole segment, and only the last one";
                if (!pchar(s[i]))
                    return "a pattern segment holds letters, digits and -._~!$&'()+,;=:@ only "
                           "(no '%' escapes, no spaces)";
            }
            memcpy(shape + o, s, k);
            o += k;
        }
        if (!end)
            break;
        s = end + 1;
    }
    shape[o] = 0;
    return NULL;
}

/* An origin as browsers send it (RFC 6454 section 6.1): scheme "://" host
 * [":" port], lower case, no path. */
static int origin_ok(const char *s)
{
    const char *h = !strncmp(s, "https://", 8) ? s + 8 : !strncmp(s, "http://", 7) ? s + 7 : NULL;
    if (!h || !*h)
        return 0;
    int colon = 0;
    for (const char *p = h; *p; p++) {
        if (*p == ':') {
            if (colon++ || !p[1])
                return 0;
        } else if (colon ? !(*p >= '0' && *p <= '9')
                         : !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) {
            return 0;
        }
    }
    return 1;
}

/* cors ORIGIN... [credentials] | cors * */
static int route_cors(struct vctx *v, const struct conf_node *o, struct config_route *r)
{
    const char *usage = "e.g. cors https://app.example.com credentials";
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs == 0)
        return verr(v, o->line, o->col, "'cors' takes the allowed origins (%s)", usage);
    for (unsigned i = 0; i < o->nargs; i++) {
        const char *s = kit_arg(v, o, i)->s;
        if (!strcmp(s, "credentials")) {
            r->cors_credentials = 1;
        } else if (!strcmp(s, "*")) {
            r->cors_any = 1;
        } else if (!origin_ok(s)) {
            return verr_arg(v, o, i, "'%s' is not an origin: scheme://host[:port] in lower case, no "
                            "path or trailing '/' (%s)", s, usage);
        } else if (r->ncors == CONFIG_CORS_MAX) {
            return verr_arg(v, o, i, "more than %d origins", CONFIG_CORS_MAX);
        } else if (!(r->cors[r->ncors++] = kit_keep(v, o, s))) {
            return -1;
        }
    }
    /* The Fetch standard forbids "*" with credentials; a list of origins is
     * the way to allow credentials. */
    if (r->cors_any && r->cors_credentials)
        return verr(v, o->line, o->col, "'cors *' cannot allow credentials: list the origins instead");
    if (r->cors_any && r->ncors)
        return verr(v, o->line, o->col, "'cors *' already allows every origin: drop the others");
    if (!r->cors_any && !r->ncors)
        return verr(v, o->line, o->col, "'cors' needs at least one origin (%s)", usage);
    return 0;
}

/* The route's options block. */
static int route_options(struct vctx *v, const struct conf_node *n, struct config_route *r)
{
    struct slot slot[] = { { "body-max", NULL, 0 }, { "cache-control", NULL, 0 },
                           { "index", NULL, 0 }, { "rate-limit", NULL, 0 }, { "cors", NULL, 0 },
                           { "plain-http", NULL, 0 },
                           /* sql routes' own: config_sql.c reads them */
                           { "param", NULL, 1 }, { "page", NULL, 1 }, { "sort-by", NULL, 1 },
                           { "filter-by", NULL, 1 }, { "json-boolean", NULL, 1 }, { "result", NULL, 1 },
                           { "location", NULL, 1 }, { "token-sha256", NULL, 0 },
                           /* credentials (docs/auth.md) */
                           { "auth", NULL, 0 }, { "permission", NULL, 0 }, { "hash-password", NULL, 0 } };
    if (kit_collect_in(v, n, "a route's options", slot, sizeof slot / sizeof slot[0]) < 0)
        return -1;
    uint64_t x;
    if (slot[0].node) {
        if (kit_size(v, slot[0].node, 0, 1ull << 30, &x) < 0)
            return -1;
        r->body_max = x;
        r->has_body_max = 1;
    }
    if (slot[1].node) {
        const struct conf_node *o = slot[1].node;
        if (kit_want_args(v, o, 1, "e.g. cache-control \"public, max-age=3600\"") < 0)
            return -1;
        for (const char *q = kit_arg(v, o, 0)->s; *q; q++)
            if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
                return verr_arg(v, o, 0, "a header value is printable ASCII on one line");
        if (!(r->cache_control = kit_keep(v, o, kit_arg(v, o, 0)->s)))
            return -1;
    }
    if (slot[2].node) {
        const struct conf_node *o = slot[2].node;
        if (kit_want_args(v, o, 1, "e.g. index index.html") < 0)
            return -1;
        if (r->kind != CONFIG_ROUTE_STATIC || !r->target_is_dir)
            return verr(v, o->line, o->col, "'index' is for static routes serving a directory");
        const char *s = kit_arg(v, o, 0)->s;
        if (!*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
            return verr_arg(v, o, 0, "'%s' is not a file name (no '/')", s);
        if (!(r->index = kit_keep(v, o, s)))
            return -1;
    }
    if (slot[3].node && kit_rate(v, slot[3].node, "e.g. rate-limit 10/s burst 20", &r->rate_per_min,
                                 &r->rate_burst) < 0)
        return -1;
    if (slot[4].node && route_cors(v, slot[4].node, r) < 0)
        return -1;
    if (slot[13].node) {
        /* token-sha256 HEX: the bearer token's hash (docs/store.md, "Backup"). */
        const struct conf_node *o = slot[13].node;
        if (kit_want_args(v, o, 1, "token-sha256 and 64 hex digits: printf %s \"$TOKEN\" | sha256sum") < 0)
            return -1;
        if (r->kind != CONFIG_ROUTE_BACKUP)
            return verr(v, o->line, o->col, "'token-sha256' is an option of backup routes");
        const char *h = kit_arg(v, o, 0)->s;
        size_t k = strspn(h, "0123456789abcdefABCDEF");
        if (k != 64 || h[k])
            return verr_arg(v, o, 0, "a SHA-256 is 64 hex digits (printf %%s \"$TOKEN\" | sha256sum); "
                            "never put the token itself here");
        if (!(r->token_sha256 = kit_keep(v, o, h)))
            return -1;
    }
    if (slot[5].node) {
        /* plain-http serve|redirect: this route on port 80 when tls is on. */
        const struct conf_node *o = slot[5].node;
        if (kit_want_args(v, o, 1, "plain-http serve or plain-http redirect") < 0)
            return -1;
        const char *s = kit_arg(v, o, 0)->s;
        if (strcmp(s, "serve") && strcmp(s, "redirect"))
            return verr_arg(v, o, 0, "'%s': plain-http takes serve or redirect", s);
        r->plain_http = !strcmp(s, "serve") ? CONFIG_PLAIN_SERVE : CONFIG_PLAIN_REDIRECT;
    }
    if ((slot[14].node || slot[15].node) && (r->kind == CONFIG_ROUTE_LOGIN || r->kind == CONFIG_ROUTE_LOGOUT)) {
        const struct conf_node *o = slot[14].node ? slot[14].node : slot[15].node;
        return verr(v, o->line, o->col, "'%s' is not for %s routes (%s)", o->name, kind_names[r->kind],
                    r->kind == CONFIG_ROUTE_LOGIN ? "a login route is public: it makes the credential"
                                                  : "a logout route ends the session its cookie names");
    }
    if (slot[14].node) {
        /* auth SCHEME... | auth none */
        const struct conf_node *o = slot[14].node;
        if (kit_no_block(v, o) < 0)
            return -1;
        if (o->nargs == 0)
            return verr(v, o->line, o->col, "'auth' takes the schemes the route accepts: api-key, jwt, "
                        "session, or none alone (e.g. auth jwt session)");
        for (unsigned k = 0; k < o->nargs; k++) {
            const char *w = kit_arg(v, o, k)->s;
            unsigned i = 0;
            while (i < NSCHEMES && strcmp(scheme_names[i], w))
                i++;
            if (i == NSCHEMES)
                return verr_arg(v, o, k, "'%s' is not a scheme: api-key, jwt, session, or none alone", w);
            if (r->auth & (1u << i))
                return verr_arg(v, o, k, "'%s' is listed twice", w);
            r->auth |= 1u << i;
        }
        if ((r->auth & CONFIG_AUTH_NONE) && r->auth != CONFIG_AUTH_NONE)
            return verr(v, o->line, o->col, "'auth none' makes the route public: it takes no other scheme");
    }
    if (slot[15].node) {
        /* permission PERM: resolved against the auth section later. */
        const struct conf_node *o = slot[15].node;
        if (kit_want_args(v, o, 1, "e.g. permission write") < 0)
            return -1;
        if (r->auth == CONFIG_AUTH_NONE)
            return verr(v, o->line, o->col, "'permission' needs a caller's role: drop 'auth none' (a "
                        "public route has no one to check)");
    }
    if (slot[16].node) {
        /* hash-password FIELD: config_sql.c checks :FIELD_hash. */
        const struct conf_node *o = slot[16].node;
        if (kit_want_args(v, o, 1, "e.g. hash-password password") < 0)
            return -1;
        if (r->kind != CONFIG_ROUTE_SQL)
            return verr(v, o->line, o->col, "'hash-password' is an option of sql routes");
        if (r->methods & ~(unsigned)(CONFIG_M_POST | CONFIG_M_PUT | CONFIG_M_PATCH))
            return verr(v, o->line, o->col, "'hash-password' reads the JSON body: the route's methods are "
                        "POST, PUT or PATCH only");
        const char *f = kit_arg(v, o, 0)->s;
        int ok = ident_char(f[0], 1) && f[0] != '_' && strlen(f) <= CONFIG_NAME_MAX;
        for (const char *q = f + 1; ok && *q; q++)
            ok = ident_char(*q, 0);
        if (!ok)
            return verr_arg(v, o, 0, "'%s' is not a field name (a letter, then letters, digits, '_')", f);
        if (!strncmp(f, "auth_", 5))
            return verr_arg(v, o, 0, "'%s': auth_ names are bound from the caller's credentials, never from "
                            "the request", f);
        if (!(r->hash_password = kit_keep(v, o, f)))
            return -1;
    }
    return 0;
}

static int is_url_target(const char *s)
{
    if (s[0] == '/' && s[1] != '/')
        return 1;
    return (!strncmp(s, "https://", 8) && s[8] && s[8] != '/') ||
           (!strncmp(s, "http://", 7) && s[7] && s[7] != '/');
}

/* KIND and its arguments, argument 1, then its arguments. */
static int route_kind(struct vctx *v, const struct conf_node *n, struct config_route *r, int wild)
{
    const struct conf_arg *ka = kit_arg(v, n, 1);
    unsigned k = 0;
    while (k < NKINDS && strcmp(kind_names[k], ka->s) != 0)
        k++;
    if (k == NKINDS)
        return verr_arg(v, n, 1, "unknown route kind '%s' (use static, redirect, health, ready, "
                        "metrics, sql, handler, backup, login or logout)", ka->s);
    r->kind = (enum config_route_kind)k;
    unsigned nargs = n->nargs - 2;
    static const char *const usage[] = {
        "static takes a file or directory: static www",
        "redirect takes a status and a target: redirect 301 https://example.com/*",
        "health takes no arguments", "ready takes no arguments", "metrics takes no arguments",
        "sql takes one to 8 quoted statements: sql \"SELECT ...\"",
        "handler takes a name: handler hello",
        "backup takes no arguments (its token-sha256 goes in its block)",
        "login takes one quoted statement that finds the user by :username: login \"SELECT id AS user_id, "
        "password_hash, role FROM users WHERE handle = :username\"",
        "logout takes no arguments",
    };
    static const unsigned want_lo[] = { 1, 2, 0, 0, 0, 1, 1, 0, 1, 0 },
                          want_hi[] = { 1, 2, 0, 0, 0, CONFIG_SQL_MAX, 1, 0, 1, 0 };
    if (nargs < want_lo[k] || nargs > want_hi[k]) {
        const struct conf_arg *a = nargs > want_hi[k] ? kit_arg(v, n, 2 + want_hi[k]) : ka;
        return verr(v, a->line, a->col, "%s", usage[k]);
    }
    const char *a0 = nargs ? kit_arg(v, n, 2)->s : NULL;
    switch (r->kind) {
    case CONFIG_ROUTE_STATIC:
        if (kit_path_ok(v, n, 2) < 0)
            return -1;
        if (!kit_is_file(v, a0)) {
            if (!v->files || !v->files->list || v->files->list(v->files->ctx, a0, kit_count_file, NULL) < 0)
                return verr_arg(v, n, 2, "'%s' not found: no such file or directory beside "
                                "appliance.conf", a0);
            if (!wild)
                return verr_arg(v, n, 2, "a directory is served under a pattern ending in '/*' "
                                "(e.g. GET /docs/* static %s)", a0);
            if (kit_dir(v, n, 2, NULL, NULL) < 0)
                return -1;
            r->target_is_dir = 1;
            r->index = "index.html";
        }
        break;
    case CONFIG_ROUTE_REDIRECT: {
        uint64_t code;
        if (kit_parse_uint(a0, 999, &code) < 0 ||
            (code != 301 && code != 302 && code != 303 && code != 307 && code != 308))
            return verr_arg(v, n, 2, "'%s' is not a redirect status (301, 302, 303, 307 or 308)", a0);
        r->redirect_code = (unsigned)code;
        a0 = kit_arg(v, n, 3)->s;
        if (!is_url_target(a0))
            return verr_arg(v, n, 3, "'%s' is not a redirect target: a path /... or an "
                            "http:// or https:// URL", a0);
        for (const char *q = a0; *q; q++)
            if ((unsigned char)*q <= 0x20 || (unsigned char)*q > 0x7e)
                return verr_arg(v, n, 3, "a redirect target is printable ASCII without spaces "
                                "(percent-encode the rest)");
        size_t len = strlen(a0);
        if (len && a0[len - 1] == '*' && !wild)
            return verr_arg(v, n, 3, "a target ending in '*' needs a pattern ending in '/*' "
                            "(the matched rest replaces it)");
        break;
    }
    case CONFIG_ROUTE_SQL:
    case CONFIG_ROUTE_LOGIN:
        for (unsigned i = 0; i < nargs; i++) {
            const struct conf_arg *a = kit_arg(v, n, 2 + i);
            const char *q = a->s;
            while (*q == ' ' || *q == '\t' || *q == '\n')
                q++;
            if (!a->quoted)
                return verr(v, a->line, a->col, "an SQL statement is a quoted string "
                            "(sql \"SELECT ...\")");
            if (!*q)
                return verr(v, a->line, a->col, "empty SQL statement");
            if (!(r->sql[i] = kit_keep(v, n, a->s)))
                return -1;
        }
        r->nsql = nargs;
        return 0;
    case CONFIG_ROUTE_HANDLER:
        for (const char *q = a0; *q; q++)
            if (!ident_char(*q, q == a0))
                return verr_arg(v, n, 2, "'%s' is not a handler name (letters, digits, '_')", a0);
        break;
    default:
        return 0;
    }
    if (!(r->target = kit_keep(v, n, a0)))
        return -1;
    return 0;
}

int config_sec_routes(struct vctx *v, const struct conf_node *sec)
{
    struct config *c = v->c;
    char shape[CONFIG_PATTERN_MAX + 2], other[CONFIG_PATTERN_MAX + 2];
    for (int16_t i = sec->first_child; i >= 0; i = v->d->nodes[i].next) {
        const struct conf_node *n = &v->d->nodes[i];
        const char *usage = "METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql \"SELECT ...\"";
        if (c->nroutes == CONFIG_ROUTES_MAX)
            return verr(v, n->line, n->col, "more than %d routes", CONFIG_ROUTES_MAX);
        struct config_route *r = &c->routes[c->nroutes];
        memset(r, 0, sizeof *r);
        r->permission = -1;
        r->line = n->line;
        r->col = n->col;
        if (parse_methods(n->name, &r->methods) < 0)
            return verr(v, n->line, n->col, "'%s' is not a method: GET, HEAD, POST, PUT, PATCH, "
                        "DELETE, OPTIONS, a comma list of them, or ANY (a route is %s)", n->name, usage);
        if (n->nargs < 2)
            return verr(v, n->line, n->col, "a route needs a pattern and a kind (%s)", usage);
        int wild;
        const char *why = check_pattern(kit_arg(v, n, 0)->s, shape, &wild);
        if (why)
            return verr_arg(v, n, 0, "%s", why);
        if (!(r->pattern = kit_keep(v, n, kit_arg(v, n, 0)->s)))
            return -1;
        r->col = kit_arg(v, n, 1)->col;
        if (route_kind(v, n, r, wild) < 0)
            return -1;
        if (n->has_block && route_options(v, n, r) < 0)
            return -1;
        if (config_route_sql(v, n, r) < 0)
            return -1;
        for (unsigned j = 0; j < c->nroutes; j++) {
            int w;
            if (!(c->routes[j].methods & r->methods))
                continue;
            check_pattern(c->routes[j].pattern, other, &w);
            if (strcmp(shape, other) == 0)
                return verr_arg(v, n, 0, "duplicate route: %s %s is already routed at line %u",
                                n->name, r->pattern, c->routes[j].line);
        }
        c->nroutes++;
    }
    return 0;
}

/* Route i's node in the document (each child of routes made one route),
 * and its option named name, for positions in later checks. */
static const struct conf_node *route_option(const struct vctx *v, unsigned i, const char *name)
{
    int16_t k = v->d->first;
    while (k >= 0 && strcmp(v->d->nodes[k].name, "routes"))
        k = v->d->nodes[k].next;
    if (k < 0)
        return NULL;
    for (k = v->d->nodes[k].first_child; k >= 0 && i; k = v->d->nodes[k].next)
        i--;
    if (k < 0 || !v->d->nodes[k].has_block)
        return NULL;
    for (k = v->d->nodes[k].first_child; k >= 0; k = v->d->nodes[k].next)
        if (!strcmp(v->d->nodes[k].name, name))
            return &v->d->nodes[k];
    return NULL;
}

/* A route's credentials against the auth section: the permission's
 * index, the schemes a permission alone implies, and that every scheme
 * named has a way to authenticate. */
static int check_credentials(struct vctx *v, unsigned i, unsigned sessions)
{
    const struct config_auth *a = &v->c->auth;
    struct config_route *r = &v->c->routes[i];
    const struct conf_node *au = route_option(v, i, "auth"), *pe = route_option(v, i, "permission");
    if (!a->enabled && ((r->auth & ~(unsigned)CONFIG_AUTH_NONE) || pe)) {
        const struct conf_node *o = pe ? pe : au;
        return verr(v, o->line, o->col, "'%s' needs an auth section (auth { role NAME PERM... } and a way "
                    "to authenticate: docs/auth.md)", o->name);
    }
    if (au) {
        static const char *const why[] = {
            "the auth section declares no api-key",
            "the auth section declares no jwt-key",
            "no login route makes sessions (add e.g. POST /login login \"SELECT ...\")",
        };
        const unsigned have[] = { a->nkeys, a->njwt, sessions };
        for (unsigned k = 0; k < au->nargs; k++)
            for (unsigned s = 0; s < 3; s++)
                if (!strcmp(kit_arg(v, au, k)->s, scheme_names[s]) && !have[s])
                    return verr_arg(v, au, k, "'%s': %s", scheme_names[s], why[s]);
    }
    if (!pe)
        return 0;
    const char *p = kit_arg(v, pe, 0)->s;
    unsigned k = 0;
    while (k < a->nperms && strcmp(a->perm[k], p))
        k++;
    if (k == a->nperms) {
        char known[CONFIG_PERMS_MAX * (CONFIG_NAME_MAX + 2) + 1] = "";
        for (unsigned j = 0; j < a->nperms; j++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", j ? ", " : "", a->perm[j]);
        if (a->nperms)
            return verr_arg(v, pe, 0, "'%s' is not a permission any role has (the roles grant: %s)", p, known);
        return verr_arg(v, pe, 0, "'%s' is not a permission any role has (grant it: role NAME %s)", p, p);
    }
    r->permission = (int)k;
    if (!r->auth) {
        r->auth = (a->nkeys ? (unsigned)CONFIG_AUTH_APIKEY : 0) | (a->njwt ? (unsigned)CONFIG_AUTH_JWT : 0) |
                  (sessions ? (unsigned)CONFIG_AUTH_SESSION : 0);
        if (!r->auth)
            return verr(v, pe->line, pe->col, "'permission' needs a way to authenticate: the auth section has "
                        "no api-key or jwt-key, and no login route makes sessions");
    }
    return 0;
}

int config_check_routes(struct vctx *v)
{
    unsigned sessions = 0;
    for (unsigned i = 0; i < v->c->nroutes; i++)
        sessions += v->c->routes[i].kind == CONFIG_ROUTE_LOGIN;
    for (unsigned i = 0; i < v->c->nroutes; i++) {
        struct config_route *r = &v->c->routes[i];
        const char *kind = kind_names[r->kind];
        if ((r->kind == CONFIG_ROUTE_SQL || r->kind == CONFIG_ROUTE_BACKUP || r->kind == CONFIG_ROUTE_LOGIN) &&
            !v->c->database.enabled)
            return verr(v, r->line, r->col, "%s routes need a database section (database { disk vda })", kind);
        if ((r->kind == CONFIG_ROUTE_LOGIN || r->kind == CONFIG_ROUTE_LOGOUT) && !v->c->auth.enabled)
            return verr(v, r->line, r->col, "%s routes need an auth section (auth { role NAME PERM... }: "
                        "docs/auth.md)", kind);
        if ((r->kind == CONFIG_ROUTE_LOGIN || r->kind == CONFIG_ROUTE_LOGOUT) && r->methods != CONFIG_M_POST)
            return verr(v, r->line, r->col, "a %s route answers POST only", kind);
        if (r->kind == CONFIG_ROUTE_LOGOUT && !sessions)
            return verr(v, r->line, r->col, "a logout route ends the sessions a login route starts: add one "
                        "(e.g. POST /login login \"SELECT ...\")");
        if (check_credentials(v, i, sessions) < 0)
            return -1;
        if (r->kind == CONFIG_ROUTE_METRICS && !r->auth)
            return verr(v, r->line, r->col, "a metrics route needs credentials: { permission metrics } "
                        "(or { auth none } to serve it to anyone)");
        if (r->kind == CONFIG_ROUTE_BACKUP && !r->token_sha256 && !r->auth)
            return verr(v, r->line, r->col, "a backup route needs credentials: { permission backup }, or its "
                        "token's hash { token-sha256 HEX } (openssl rand -hex 32 makes a token; printf %%s "
                        "\"$TOKEN\" | sha256sum its hash)");
        if (r->kind == CONFIG_ROUTE_BACKUP && r->token_sha256 && r->auth)
            return verr(v, r->line, r->col, "a backup route takes its token-sha256 or auth and permission, "
                        "not both (keep one)");
        if (r->kind == CONFIG_ROUTE_BACKUP && (r->auth & CONFIG_AUTH_NONE))
            return verr(v, r->line, r->col, "a backup route hands out the whole database: it cannot be public "
                        "(auth none); give it { permission backup } or a token-sha256");
        if (r->kind == CONFIG_ROUTE_BACKUP && (r->methods & ~(unsigned)(CONFIG_M_GET | CONFIG_M_HEAD)))
            return verr(v, r->line, r->col, "a backup route answers GET only");
    }
    return 0;
}

static void show_methods(struct sbuf *b, unsigned m)
{
    if (m == CONFIG_M_ALL) {
        sb_printf(b, "ANY");
        return;
    }
    if (m & CONFIG_M_GET)
        m &= ~(unsigned)CONFIG_M_HEAD;      /* implied */
    const char *sep = "";
    for (unsigned i = 0; i < NMETHODS; i++)
        if (m & (1u << i)) {
            sb_printf(b, "%s%s", sep, method_names[i]);
            sep = ",";
        }
}

void config_show_routes(const struct config *c, struct sbuf *b)
{
    if (!c->nroutes)
        return;
    sb_printf(b, "routes {\n");
    for (unsigned i = 0; i < c->nroutes; i++) {
        const struct config_route *r = &c->routes[i];
        sb_printf(b, "    ");
        show_methods(b, r->methods);
        sb_printf(b, " %s %s", r->pattern, kind_names[r->kind]);
        if (r->kind == CONFIG_ROUTE_REDIRECT)
            sb_printf(b, " %u", r->redirect_code);
        if (r->target) {
            sb_printf(b, " ");
            sb_value(b, r->target);
        }
        for (unsigned k = 0; k < r->nsql; k++) {
            sb_printf(b, " ");
            sb_quoted(b, r->sql[k]);
        }
        int opts = r->has_body_max || r->cache_control || (r->index && strcmp(r->index, "index.html")) ||
                   r->rate_per_min || r->ncors || r->cors_any || r->plain_http || r->token_sha256 ||
                   r->auth || r->permission >= 0 || r->hash_password ||
                   (r->kind == CONFIG_ROUTE_SQL && config_sql_has_options(r));
        if (!opts) {
            sb_printf(b, "\n");
            continue;
        }
        sb_printf(b, " {\n");
        if (r->has_body_max) {
            sb_printf(b, "        body-max ");
            sb_size(b, r->body_max);
            sb_printf(b, "\n");
        }
        if (r->cache_control) {
            sb_printf(b, "        cache-control ");
            sb_value(b, r->cache_control);
            sb_printf(b, "\n");
        }
        if (r->index && strcmp(r->index, "index.html"))
            sb_printf(b, "        index %s\n", r->index);
        if (r->rate_per_min) {
            sb_printf(b, "        rate-limit ");
            sb_rate(b, r->rate_per_min, r->rate_burst);
            sb_printf(b, "\n");
        }
        if (r->ncors || r->cors_any) {
            sb_printf(b, "        cors");
            if (r->cors_any)
                sb_printf(b, " *");
            for (unsigned k = 0; k < r->ncors; k++)
                sb_printf(b, " %s", r->cors[k]);
            sb_printf(b, "%s\n", r->cors_credentials ? " credentials" : "");
        }
        if (r->plain_http)
            sb_printf(b, "        plain-http %s\n", r->plain_http == CONFIG_PLAIN_SERVE ? "serve" : "redirect");
        if (r->kind == CONFIG_ROUTE_SQL)
            config_show_sql(r, b);
        if (r->token_sha256)
            sb_printf(b, "        token-sha256 %s\n", r->token_sha256);
        if (r->auth) {
            sb_printf(b, "        auth");
            for (unsigned k = 0; k < NSCHEMES; k++)
                if (r->auth & (1u << k))
                    sb_printf(b, " %s", scheme_names[k]);
            sb_printf(b, "\n");
        }
        if (r->permission >= 0)
            sb_printf(b, "        permission %s\n", c->auth.perm[r->permission]);
        if (r->hash_password)
            sb_printf(b, "        hash-password %s\n", r->hash_password);
        sb_printf(b, "    }\n");
    }
    sb_printf(b, "}\n");
}
