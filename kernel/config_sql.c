/* kernel/config_sql.c: a sql route's statements and options
 * (docs/store.md, "sql routes"):
 *
 *   GET /api/posts sql "SELECT id, user_id, body, created_at FROM posts" {
 *       param user_id integer min 1          # :user_id, from path, body or query
 *       page 20 max 100 key -id              # a list: page size, cap, unique key
 *       sort-by created_at likes             # ?sort=-created_at
 *       filter-by user_id                    # ?user_id=3
 *       json-boolean liked                   # 0/1 columns as false/true
 *       result one | list | none             # else from page and the SQL
 *       location /api/posts/:id              # 201 Created with this Location
 *   }
 *
 * Every :name in the statements must be a pattern parameter or declared
 * with `param`, and every `param` must be used: a typo is an error here,
 * not a NULL at run time. Names starting with '_' are the server's
 * (paging binds :_limit and the like). Names starting with auth_ are the
 * caller's identity (docs/auth.md): :auth_user_id, :auth_role and
 * :auth_name, in routes that take credentials only, and never a param or
 * a pattern parameter. `hash-password FIELD` makes :FIELD_hash a name.
 *
 * A login route's one statement is checked here too: :username is its
 * only name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/config_kit.h"
#include "kernel/textpat.h"

static const char *const ptype_names[] = { "integer", "real", "text", "boolean" };

static int ident_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* Each :name of sql (outside strings, quoted names and comments) to fn;
 * other parameter forms (?, ?N, @x, $x) are refused: one style, named. */
typedef int (*name_fn)(void *arg, const char *name, size_t len);
static const char *scan_names(const char *s, name_fn fn, void *arg)
{
    while (*s) {
        char q = *s;
        if (q == '\'' || q == '"' || q == '`' || q == '[') {
            char close = q == '[' ? ']' : q;
            for (s++; *s && *s != close; s++)
                ;
            if (*s)
                s++;
        } else if (q == '-' && s[1] == '-') {
            while (*s && *s != '\n')
                s++;
        } else if (q == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            s = e ? e + 2 : s + strlen(s);
        } else if (q == '?' || q == '@' || q == '$') {
            return "use :name parameters (not ?, @name or $name)";
        } else if (q == ':' && ((s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z') || s[1] == '_')) {
            const char *b = ++s;
            while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')
                s++;
            if (fn(arg, b, (size_t)(s - b)) < 0)
                return "";
        } else {
            s++;
        }
    }
    return NULL;
}

struct use_ctx {
    struct vctx *v;
    const struct config_route *r;
    unsigned used;                  /* bit per param */
    int credentials;                /* the route takes them: auth_ names are bound */
    int hash_used, username_used;
    const struct conf_arg *at;
};

static int name_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && !memcmp(name, want, len);
}

static int pattern_has(const char *pattern, const char *name, size_t len)
{
    for (const char *p = strchr(pattern, ':'); p; p = strchr(p + 1, ':'))
        if (p[-1] == '/' && strncmp(p + 1, name, len) == 0 && (p[1 + len] == '/' || !p[1 + len]))
            return 1;
    return 0;
}

static int note_use(void *arg, const char *name, size_t len)
{
    struct use_ctx *u = arg;
    if (name[0] == '_')
        return verr(u->v, u->at->line, u->at->col, "':%.*s': names starting with '_' are the "
                    "server's own", (int)len, name);
    const char *hp = u->r->hash_password;
    if (hp && len == strlen(hp) + 5 && !memcmp(name, hp, len - 5) && !memcmp(name + len - 5, "_hash", 5)) {
        if (pattern_has(u->r->pattern, name, len))
            return verr(u->v, u->at->line, u->at->col, "':%.*s' is what hash-password binds: the pattern may "
                        "not have a parameter of that name", (int)len, name);
        u->hash_used = 1;
        return 0;
    }
    if (len >= 5 && !memcmp(name, "auth_", 5)) {
        if (!name_is(name, len, "auth_user_id") && !name_is(name, len, "auth_role") &&
            !name_is(name, len, "auth_name"))
            return verr(u->v, u->at->line, u->at->col, "':%.*s': the caller's identity is :auth_user_id, "
                        ":auth_role or :auth_name (no other auth_ names)", (int)len, name);
        if (!u->credentials)
            return verr(u->v, u->at->line, u->at->col, "':%.*s' is the caller's identity, but the route takes "
                        "no credentials (add { permission PERM } or { auth SCHEME... })", (int)len, name);
        return 0;
    }
    for (unsigned i = 0; i < u->r->q.nparam; i++)
        if (strlen(u->r->q.param[i].name) == len && !memcmp(u->r->q.param[i].name, name, len)) {
            u->used |= 1u << i;
            return 0;
        }
    if (pattern_has(u->r->pattern, name, len))
        return 0;
    return verr(u->v, u->at->line, u->at->col, "':%.*s' is neither a parameter of the pattern nor "
                "declared (param %.*s integer|real|text|boolean ...)", (int)len, name, (int)len, name);
}

static int parse_number(const char *s, double *out)
{
    char *end;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    return *end || *out != *out ? -1 : 0;
}

/* param NAME TYPE [required] [nullable] [min N] [max N] [length A..B]
 *       [pattern "RE"] [default V] */
static int opt_param(struct vctx *v, const struct conf_node *o, struct config_route *r)
{
    const char *usage = "e.g. param age integer required min 0 max 150";
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs < 2)
        return verr(v, o->line, o->col, "'param' takes a name and a type (%s)", usage);
    struct config_sql *q = &r->q;
    if (q->nparam == CONFIG_SQL_PARAMS_MAX)
        return verr(v, o->line, o->col, "more than %d params in one route", CONFIG_SQL_PARAMS_MAX);
    struct config_param *p = &q->param[q->nparam];
    memset(p, 0, sizeof *p);
    const char *name = kit_arg(v, o, 0)->s;
    if (!ident_ok(name) || name[0] == '_')
        return verr_arg(v, o, 0, "'%s' is not a parameter name (a letter, then letters, digits, '_')", name);
    if (!strncmp(name, "auth_", 5))
        return verr_arg(v, o, 0, "'%s': auth_ names are bound from the caller's credentials, never from the "
                        "request", name);
    if (r->hash_password && !strcmp(name, r->hash_password))
        return verr_arg(v, o, 0, "'%s' is the hash-password field: it is hashed, never bound (drop this param)",
                        name);
    if (r->hash_password && !strncmp(name, r->hash_password, strlen(r->hash_password)) &&
        !strcmp(name + strlen(r->hash_password), "_hash"))
        return verr_arg(v, o, 0, "'%s' is what hash-password binds (drop this param)", name);
    for (unsigned i = 0; i < q->nparam; i++)
        if (!strcmp(q->param[i].name, name))
            return verr_arg(v, o, 0, "param '%s' declared twice", name);
    const char *type = kit_arg(v, o, 1)->s;
    unsigned t = 0;
    while (t < 4 && strcmp(ptype_names[t], type))
        t++;
    if (t == 4)
        return verr_arg(v, o, 1, "'%s' is not a type (integer, real, text or boolean)", type);
    p->type = (enum config_ptype)t;
    if (!(p->name = kit_keep(v, o, name)))
        return -1;
    for (unsigned k = 2; k < o->nargs; k++) {
        const char *w = kit_arg(v, o, k)->s;
        int needs = !strcmp(w, "min") || !strcmp(w, "max") || !strcmp(w, "length") ||
                    !strcmp(w, "pattern") || !strcmp(w, "default");
        if (!strcmp(w, "required")) {
            p->required = 1;
            continue;
        }
        if (!strcmp(w, "nullable")) {
            p->nullable = 1;
            continue;
        }
        if (!needs)
            return verr_arg(v, o, k, "'%s': a param takes required, nullable, min N, max N, length A..B, "
                            "pattern \"RE\" and default V", w);
        if (k + 1 == o->nargs)
            return verr_arg(v, o, k, "'%s' needs a value", w);
        const char *val = kit_arg(v, o, ++k)->s;
        if (!strcmp(w, "min") || !strcmp(w, "max")) {
            double d;
            if (p->type != CONFIG_P_INTEGER && p->type != CONFIG_P_REAL)
                return verr_arg(v, o, k - 1, "'%s' is for integer and real params (text has length)", w);
            if (parse_number(val, &d) < 0 || (p->type == CONFIG_P_INTEGER && d != (double)(long long)d))
                return verr_arg(v, o, k, "'%s' is not a%s number", val,
                                p->type == CONFIG_P_INTEGER ? "n integer" : "");
            if (w[1] == 'i')
                p->has_min = 1, p->min = d;
            else
                p->has_max = 1, p->max = d;
        } else if (!strcmp(w, "length")) {
            /* A..B or N */
            char lo[16], *dots = strstr(val, "..");
            uint64_t a, b;
            if (p->type != CONFIG_P_TEXT)
                return verr_arg(v, o, k - 1, "'length' is for text params");
            size_t ll = dots ? (size_t)(dots - val) : strlen(val);
            if (ll >= sizeof lo)
                return verr_arg(v, o, k, "'%s' is not a length A..B", val);
            memcpy(lo, val, ll);
            lo[ll] = 0;
            if (kit_parse_uint(lo, 1u << 24, &a) < 0 || (dots ? kit_parse_uint(dots + 2, 1u << 24, &b) : (b = a, 0)) < 0 ||
                b < a)
                return verr_arg(v, o, k, "'%s' is not a length A..B (characters, A <= B <= 16777216)", val);
            p->has_length = 1;
            p->len_lo = (uint32_t)a;
            p->len_hi = (uint32_t)b;
        } else if (!strcmp(w, "pattern")) {
            struct textpat tp;
            const char *why;
            if (p->type != CONFIG_P_TEXT)
                return verr_arg(v, o, k - 1, "'pattern' is for text params");
            if (textpat_compile(val, &tp, &why) < 0)
                return verr_arg(v, o, k, "bad pattern: %s (docs/store.md lists the syntax)", why);
            if (!(p->pattern = kit_keep(v, o, val)))
                return -1;
        } else {
            if (!(p->def = kit_keep(v, o, val)))
                return -1;
        }
    }
    if (p->has_min && p->has_max && p->min > p->max)
        return verr(v, o->line, o->col, "param '%s': min is above max", name);
    if (p->def) {
        double d;
        const char *dv = p->def;
        int ok = p->type == CONFIG_P_TEXT ||
                 (p->type == CONFIG_P_BOOLEAN && (!strcmp(dv, "true") || !strcmp(dv, "false"))) ||
                 (p->type == CONFIG_P_REAL && parse_number(dv, &d) == 0) ||
                 (p->type == CONFIG_P_INTEGER && parse_number(dv, &d) == 0 && d == (double)(long long)d &&
                  strspn(dv, "-0123456789") == strlen(dv));
        if (!ok)
            return verr(v, o->line, o->col, "param '%s': default '%s' is not a%s %s", name, dv,
                        p->type == CONFIG_P_INTEGER ? "n" : "", ptype_names[p->type]);
    }
    if (p->required && p->def)
        return verr(v, o->line, o->col, "param '%s': required and default together (a default is "
                    "for an optional value)", name);
    q->nparam++;
    return 0;
}

/* Column names in option arguments from k on, into out (at most
 * CONFIG_SQL_COLS_MAX). */
static int col_list(struct vctx *v, const struct conf_node *o, unsigned k, const char **out, unsigned *n)
{
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs <= k)
        return verr(v, o->line, o->col, "'%s' takes column names", o->name);
    for (; k < o->nargs; k++) {
        const char *s = kit_arg(v, o, k)->s;
        if (!ident_ok(s))
            return verr_arg(v, o, k, "'%s' is not a column name (letters, digits, '_')", s);
        if (*n == CONFIG_SQL_COLS_MAX)
            return verr_arg(v, o, k, "more than %d columns", CONFIG_SQL_COLS_MAX);
        if (!(out[(*n)++] = kit_keep(v, o, s)))
            return -1;
    }
    return 0;
}

/* page N [max M] [key [-]COLUMN] */
static int opt_page(struct vctx *v, const struct conf_node *o, struct config_sql *q)
{
    const char *usage = "e.g. page 20 max 100 key -id";
    uint64_t x;
    if (kit_no_block(v, o) < 0)
        return -1;
    if (o->nargs < 1 || kit_parse_uint(kit_arg(v, o, 0)->s, 10000, &x) < 0 || !x)
        return verr(v, o->line, o->col, "'page' takes the default page size, 1-10000 (%s)", usage);
    q->page_default = (uint32_t)x;
    q->page_max = q->page_default;
    q->key = "id";
    for (unsigned k = 1; k < o->nargs; k += 2) {
        const char *w = kit_arg(v, o, k)->s;
        if (k + 1 == o->nargs || (strcmp(w, "max") && strcmp(w, "key")))
            return verr_arg(v, o, k, "'page' takes a size, then max M and key COLUMN (%s)", usage);
        const char *val = kit_arg(v, o, k + 1)->s;
        if (!strcmp(w, "max")) {
            if (kit_parse_uint(val, 10000, &x) < 0 || x < q->page_default)
                return verr_arg(v, o, k + 1, "'%s': max is a page size from the default to 10000", val);
            q->page_max = (uint32_t)x;
        } else {
            q->key_desc = val[0] == '-';
            if (!ident_ok(val + q->key_desc))
                return verr_arg(v, o, k + 1, "'%s' is not a column name, optionally after '-' "
                                "(descending)", val);
            if (!(q->key = kit_keep(v, o, val + q->key_desc)))
                return -1;
        }
    }
    return 0;
}

static int note_login(void *arg, const char *name, size_t len)
{
    struct use_ctx *u = arg;
    if (!name_is(name, len, "username"))
        return verr(u->v, u->at->line, u->at->col, "':%.*s': a login statement's only name is :username "
                    "(the password is checked against the row's password_hash, never bound)", (int)len, name);
    u->username_used = 1;
    return 0;
}

/* login "SELECT id AS user_id, password_hash, role FROM users WHERE handle = :username" */
static int login_statement(struct vctx *v, const struct conf_node *n, const struct config_route *r)
{
    struct use_ctx u = { v, r, 0, 0, 0, 0, kit_arg(v, n, 2) };
    const char *why = scan_names(r->sql[0], note_login, &u);
    if (why && *why)
        return verr(v, u.at->line, u.at->col, "%s", why);
    if (why)
        return -1;
    if (!u.username_used)
        return verr(v, u.at->line, u.at->col, "a login statement finds the user by :username (e.g. SELECT id "
                    "AS user_id, password_hash, role FROM users WHERE handle = :username)");
    return 0;
}

int config_route_sql(struct vctx *v, const struct conf_node *n, struct config_route *r)
{
    struct config_sql *q = &r->q;
    const struct conf_node *result = NULL;
    for (int16_t i = n->has_block ? n->first_child : -1; i >= 0; i = v->d->nodes[i].next) {
        const struct conf_node *o = &v->d->nodes[i];
        int sqlopt = !strcmp(o->name, "param") || !strcmp(o->name, "page") || !strcmp(o->name, "sort-by") ||
                     !strcmp(o->name, "filter-by") || !strcmp(o->name, "json-boolean") ||
                     !strcmp(o->name, "result") || !strcmp(o->name, "location");
        if (!sqlopt)
            continue;
        if (r->kind != CONFIG_ROUTE_SQL)
            return verr(v, o->line, o->col, "'%s' is an option of sql routes", o->name);
        if (!strcmp(o->name, "param")) {
            if (opt_param(v, o, r) < 0)
                return -1;
        } else if (!strcmp(o->name, "page")) {
            if (q->page_default)
                return verr(v, o->line, o->col, "'page' given twice");
            if (opt_page(v, o, q) < 0)
                return -1;
        } else if (!strcmp(o->name, "sort-by")) {
            if (col_list(v, o, 0, q->sort_by, &q->nsort) < 0)
                return -1;
        } else if (!strcmp(o->name, "filter-by")) {
            if (col_list(v, o, 0, q->filter_by, &q->nfilter) < 0)
                return -1;
        } else if (!strcmp(o->name, "json-boolean")) {
            if (col_list(v, o, 0, q->booleans, &q->nbool) < 0)
                return -1;
        } else if (!strcmp(o->name, "result")) {
            if (kit_want_args(v, o, 1, "result one, result list or result none") < 0)
                return -1;
            const char *s = kit_arg(v, o, 0)->s;
            q->result = !strcmp(s, "one") ? CONFIG_RESULT_ONE : !strcmp(s, "list") ? CONFIG_RESULT_LIST
                      : !strcmp(s, "none") ? CONFIG_RESULT_NONE : CONFIG_RESULT_AUTO;
            if (q->result == CONFIG_RESULT_AUTO)
                return verr_arg(v, o, 0, "'%s': result is one, list or none", s);
            result = o;
        } else {
            if (kit_want_args(v, o, 1, "e.g. location /api/posts/:id") < 0)
                return -1;
            const char *s = kit_arg(v, o, 0)->s;
            if (s[0] != '/')
                return verr_arg(v, o, 0, "a location is a path /... with :column parts from the result");
            for (const char *c = s; *c; c++)
                if ((unsigned char)*c <= 0x20 || (unsigned char)*c > 0x7e || *c == '?' || *c == '#')
                    return verr_arg(v, o, 0, "a location is printable ASCII without spaces, '?' or '#'");
            if (!(q->location = kit_keep(v, o, s)))
                return -1;
        }
    }
    if (r->kind == CONFIG_ROUTE_LOGIN)
        return login_statement(v, n, r);
    if (r->kind != CONFIG_ROUTE_SQL)
        return 0;
    /* No request can set an auth_ name, the pattern's included. */
    const char *ap = strstr(r->pattern, "/:auth_");
    if (ap)
        return verr_arg(v, n, 0, "':%.*s' in the pattern: auth_ names are bound from the caller's "
                        "credentials, never from the request", (int)strcspn(ap + 2, "/"), ap + 2);
    /* The statements use only what is declared, and all of it. A route
     * takes credentials when it names schemes or a permission (whose
     * schemes are resolved later, config_check_routes). */
    struct use_ctx u = { v, r, 0, 0, 0, 0, NULL };
    u.credentials = (r->auth & ~(unsigned)CONFIG_AUTH_NONE) != 0;
    for (int16_t i = n->has_block ? n->first_child : -1; i >= 0; i = v->d->nodes[i].next)
        if (!strcmp(v->d->nodes[i].name, "permission"))
            u.credentials = 1;
    for (unsigned k = 0; k < r->nsql; k++) {
        u.at = kit_arg(v, n, 2 + k);
        const char *why = scan_names(r->sql[k], note_use, &u);
        if (why && *why)
            return verr(v, u.at->line, u.at->col, "%s", why);
        if (why)
            return -1;
    }
    for (unsigned i = 0; i < q->nparam; i++)
        if (!(u.used >> i & 1))
            return verr(v, r->line, r->col, "param '%s' is declared but no statement uses :%s",
                        q->param[i].name, q->param[i].name);
    if (r->hash_password && !u.hash_used)
        return verr(v, r->line, r->col, "hash-password %s: no statement uses :%s_hash (the hash is bound "
                    "there; the password never is)", r->hash_password, r->hash_password);
    if ((q->nsort || q->nfilter) && !q->page_default)
        return verr(v, r->line, r->col, "sort-by and filter-by are for list routes: add page "
                    "(e.g. page 20 max 100 key -id)");
    if (q->page_default && q->result != CONFIG_RESULT_AUTO && q->result != CONFIG_RESULT_LIST)
        return verr(v, result->line, result->col, "a route with page has result list");
    if (!q->page_default && q->result == CONFIG_RESULT_LIST) {
        q->page_default = 100;
        q->page_max = 1000;
        q->key = "id";
    }
    if (q->result == CONFIG_RESULT_AUTO && q->page_default)
        q->result = CONFIG_RESULT_LIST;
    return 0;
}

void config_show_sql(const struct config_route *r, struct sbuf *b)
{
    const struct config_sql *q = &r->q;
    for (unsigned i = 0; i < q->nparam; i++) {
        const struct config_param *p = &q->param[i];
        sb_printf(b, "        param %s %s%s%s", p->name, ptype_names[p->type], p->required ? " required" : "",
                  p->nullable ? " nullable" : "");
        if (p->has_min)
            sb_printf(b, " min %.17g", p->min);
        if (p->has_max)
            sb_printf(b, " max %.17g", p->max);
        if (p->has_length)
            sb_printf(b, " length %u..%u", p->len_lo, p->len_hi);
        if (p->pattern) {
            sb_printf(b, " pattern ");
            sb_quoted(b, p->pattern);
        }
        if (p->def) {
            sb_printf(b, " default ");
            sb_value(b, p->def);
        }
        sb_printf(b, "\n");
    }
    if (q->result == CONFIG_RESULT_LIST)
        sb_printf(b, "        page %u max %u key %s%s\n", q->page_default, q->page_max, q->key_desc ? "-" : "", q->key);
    if (q->result == CONFIG_RESULT_ONE || q->result == CONFIG_RESULT_NONE)
        sb_printf(b, "        result %s\n", q->result == CONFIG_RESULT_ONE ? "one" : "none");
    const char *const *lists[3] = { q->sort_by, q->filter_by, q->booleans };
    const unsigned counts[3] = { q->nsort, q->nfilter, q->nbool };
    static const char *const names[3] = { "sort-by", "filter-by", "json-boolean" };
    for (int l = 0; l < 3; l++) {
        if (!counts[l])
            continue;
        sb_printf(b, "        %s", names[l]);
        for (unsigned i = 0; i < counts[l]; i++)
            sb_printf(b, " %s", lists[l][i]);
        sb_printf(b, "\n");
    }
    if (q->location)
        sb_printf(b, "        location %s\n", q->location);
}

int config_sql_has_options(const struct config_route *r)
{
    const struct config_sql *q = &r->q;
    return q->nparam || q->result != CONFIG_RESULT_AUTO || q->nbool || q->location;
}
