/* Unit tests of request paths and query strings (app/url.c) and of the
 * router (app/router.c): normalisation (merged slashes, dot-segments,
 * escapes, traversal refused), precedence, nested params, wildcards,
 * 404 versus 405 with Allow, and query decoding with repeated keys. */
#include "app/router.h"
#include "tests/unit/check.h"

static char pbuf[512];

static int path(const char *p, struct url_path *u, const char **why)
{
    u->buf = pbuf;
    u->cap = sizeof pbuf;
    return url_path_parse(p, strlen(p), u, why);
}

static const char *joined(const struct url_path *u)
{
    static char out[512];
    url_path_join(u, 0, out, sizeof out);
    return out;
}

static void test_paths(void)
{
    static const struct { const char *in; int status; const char *out; int slash; } t[] = {
        { "/", 0, "", 0 },
        { "/a/b", 0, "a/b", 0 },
        { "/a/b/", 0, "a/b", 1 },
        { "//a///b//", 0, "a/b", 1 },
        { "/a/./b/.", 0, "a/b", 0 },
        { "/a/../b", 0, "b", 0 },
        { "/a/b/../../c", 0, "c", 0 },
        { "/a/%2e%2e/b", 0, "b", 0 },                 /* encoded dots are dots */
        { "/a/.%2E/b", 0, "b", 0 },
        { "/..", 400, "", 0 },
        { "/a/../..", 400, "", 0 },
        { "/%2e%2e/etc/passwd", 400, "", 0 },
        { "/a/../../etc", 400, "", 0 },
        { "/a%20b/c%C3%A9", 0, "a b/c\xc3\xa9", 0 },
        { "/a%2Fb", 400, "", 0 },                     /* encoded slash */
        { "/a%2fb", 400, "", 0 },
        { "/a%5Cb", 400, "", 0 },
        { "/a%00b", 400, "", 0 },
        { "/a%zz", 400, "", 0 },
        { "/a%2", 400, "", 0 },
        { "/a%", 400, "", 0 },
        { "/a+b", 0, "a+b", 0 },                      /* '+' is literal in a path */
        { "/...", 0, "...", 0 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct url_path u;
        const char *why = NULL;
        int r = path(t[i].in, &u, &why);
        CHECK_I64(r, t[i].status);
        if (r == 0) {
            CHECK_STR(joined(&u), t[i].out);
            CHECK_I64(u.trailing_slash, t[i].slash);
        } else {
            CHECK(why != NULL);
        }
        if (r != t[i].status)
            fprintf(stderr, "  path row %u: %s\n", i, t[i].in);
    }
    /* Limits: segments and the buffer. */
    char many[200] = "";
    for (int i = 0; i < URL_SEGMENTS_MAX; i++)
        strcat(many, "/x");
    struct url_path u;
    const char *why;
    CHECK_I64(path(many, &u, &why), 0);
    strcat(many, "/y");
    CHECK_I64(path(many, &u, &why), 414);
    char small[4];
    u.buf = small;
    u.cap = sizeof small;
    CHECK_I64(url_path_parse("/abcd", 5, &u, &why), 414);
    CHECK_I64(url_path_parse("/ab", 3, &u, &why), 0);
}

static void test_query(void)
{
    const char *q = "a=1&b=x+y&a=2&&c&d=%41%2b&e=";
    size_t pos = 0, n = strlen(q);
    char k[16], v[16];
    const char *want[][2] = { { "a", "1" }, { "b", "x y" }, { "a", "2" }, { "c", "" }, { "d", "A+" }, { "e", "" } };
    for (unsigned i = 0; i < 6; i++) {
        CHECK_I64(url_query_next(q, n, &pos, k, sizeof k, v, sizeof v), 1);
        CHECK_STR(k, want[i][0]);
        CHECK_STR(v, want[i][1]);
    }
    CHECK_I64(url_query_next(q, n, &pos, k, sizeof k, v, sizeof v), 0);
    pos = 0;
    CHECK_I64(url_query_next("a=%4", 4, &pos, k, sizeof k, v, sizeof v), -1);
    pos = 0;
    CHECK_I64(url_query_next("a=0123456789abcdef", 18, &pos, k, sizeof k, v, sizeof v), -1);
    pos = 0;
    CHECK_I64(url_query_next("x%3D=y%3D", 9, &pos, k, sizeof k, v, sizeof v), 1);
    CHECK_STR(k, "x=");
    CHECK_STR(v, "y=");
}

static struct config_route routes[16];
static unsigned nr;

static void add(unsigned methods, const char *pattern)
{
    routes[nr].methods = methods;
    routes[nr].pattern = pattern;
    nr++;
}

static int match(struct router *rt, enum http_method m, const char *p, struct router_match *rm)
{
    struct url_path u;
    const char *why;
    if (path(p, &u, &why))
        return -1;
    return router_match(rt, m, &u, rm);
}

static void test_router(void)
{
    const unsigned GET = CONFIG_M_GET | CONFIG_M_HEAD;
    add(GET, "/");                                             /* 0 */
    add(GET, "/api/users/:id");                                /* 1 */
    add(GET, "/api/users/me");                                 /* 2 */
    add(CONFIG_M_POST, "/api/users");                          /* 3 */
    add(GET, "/api/*");                                        /* 4 */
    add(GET, "/api/organizations/:orgId/teams/:teamId/members"); /* 5 */
    add(CONFIG_M_PUT | CONFIG_M_DELETE, "/api/users/:id");     /* 6 */
    add(GET, "/docs/*");                                       /* 7 */
    add(GET, "/docs");                                         /* 8 */
    struct router rt;
    CHECK_I64(router_init(&rt, routes, nr), 0);
    struct router_match m;
    CHECK_I64(match(&rt, HTTP_GET, "/", &m), 0);
    CHECK_I64(m.route, 0);
    CHECK_I64(match(&rt, HTTP_HEAD, "/", &m), 0);              /* GET routes take HEAD */
    CHECK_I64(match(&rt, HTTP_GET, "/api/users/me", &m), 0);
    CHECK_I64(m.route, 2);                                     /* literal beats :param */
    CHECK_I64(match(&rt, HTTP_GET, "/api/users/42", &m), 0);
    CHECK_I64(m.route, 1);
    CHECK(m.nparams == 1 && m.param[0].name_len == 2 && memcmp(m.param[0].name, "id", 2) == 0);
    CHECK_STR(pbuf + 0 + 0 + 4 + 6, "42");                     /* segments: api users 42 */
    CHECK_I64(match(&rt, HTTP_GET, "/api/users/42/", &m), 0);   /* trailing slash alike */
    CHECK_I64(m.route, 1);
    CHECK_I64(match(&rt, HTTP_GET, "/api//users/./42", &m), 0);
    CHECK_I64(m.route, 1);
    CHECK_I64(match(&rt, HTTP_GET, "/api/users/42/posts", &m), 0);
    CHECK_I64(m.route, 4);                                     /* :param beats '*' only when it matches */
    CHECK(m.wild && m.wild_from == 1);
    CHECK_I64(match(&rt, HTTP_GET, "/api", &m), 0);
    CHECK_I64(m.route, 4);                                     /* '*' takes nothing */
    CHECK_I64(match(&rt, HTTP_GET, "/api/organizations/7/teams/9/members", &m), 0);
    CHECK_I64(m.route, 5);
    CHECK(m.nparams == 2 && m.param[0].seg == 2 && m.param[1].seg == 4);
    CHECK(m.param[1].name_len == 6 && memcmp(m.param[1].name, "teamId", 6) == 0);
    CHECK_I64(match(&rt, HTTP_DELETE, "/api/users/42", &m), 0);
    CHECK_I64(m.route, 6);
    CHECK_I64(match(&rt, HTTP_POST, "/api/users/42", &m), 405);
    CHECK_U64(m.allow, GET | CONFIG_M_PUT | CONFIG_M_DELETE);
    CHECK_I64(match(&rt, HTTP_POST, "/api/users", &m), 0);
    CHECK_I64(m.route, 3);
    CHECK_I64(match(&rt, HTTP_GET, "/api/users", &m), 0);
    CHECK_I64(m.route, 4);                                     /* GET falls to the wildcard */
    CHECK_I64(match(&rt, HTTP_PATCH, "/api/users", &m), 405);
    CHECK_I64(match(&rt, HTTP_GET, "/docs", &m), 0);
    CHECK_I64(m.route, 8);                                     /* exact beats a '*' taking nothing */
    CHECK_I64(match(&rt, HTTP_GET, "/docs/a/b", &m), 0);
    CHECK_I64(m.route, 7);
    CHECK_I64(match(&rt, HTTP_GET, "/nope", &m), 404);
    CHECK_U64(m.allow, 0);
    CHECK_I64(match(&rt, HTTP_GET, "/api/users/%2e%2e/me", &m), 0);   /* ../ resolved first */
    CHECK_I64(m.route, 4);
    /* Order in the config does not matter. */
    struct config_route rev[3] = { { .methods = GET, .pattern = "/a/*" }, { .methods = GET, .pattern = "/a/:x" },
                                   { .methods = GET, .pattern = "/a/b" } };
    CHECK_I64(router_init(&rt, rev, 3), 0);
    CHECK_I64(match(&rt, HTTP_GET, "/a/b", &m), 0);
    CHECK_I64(m.route, 2);
    CHECK_I64(match(&rt, HTTP_GET, "/a/c", &m), 0);
    CHECK_I64(m.route, 1);
    CHECK_I64(match(&rt, HTTP_GET, "/a/c/d", &m), 0);
    CHECK_I64(m.route, 0);
    CHECK_I64(router_method_bit(HTTP_OPTIONS), CONFIG_M_OPTIONS);
}

/* The host of a Host value, for port 80's https redirect. */
static void test_host(void)
{
    static const struct { const char *v; long want; } t[] = {
        { "example.com", 11 }, { "example.com:8080", 11 }, { "EXAMPLE.com:80", 11 }, { "a", 1 },
        { "127.0.0.1", 9 }, { "127.0.0.1:8443", 9 }, { "[::1]", 5 }, { "[::1]:443", 5 },
        { "[2001:db8::1]", 13 }, { "", -1 }, { ":80", -1 }, { "example.com:", -1 },
        { "example.com:123456", -1 }, { "example.com:8o", -1 }, { "user@example.com", -1 },
        { "example.com/evil", -1 }, { "exa mple.com", -1 }, { "ex%41mple.com", -1 }, { "[]", -1 },
        { "[::1", -1 }, { "[::g]", -1 }, { "[::1]x", -1 }, { "a\r\nb", -1 }, { "a_b", -1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        long got = url_host_len(t[i].v, strlen(t[i].v));
        if (got != t[i].want) {
            fprintf(stderr, "url_host_len(\"%s\") = %ld, want %ld\n", t[i].v, got, t[i].want);
            CHECK(0);
        }
    }
    char big[300];
    memset(big, 'a', sizeof big);
    CHECK_I64(url_host_len(big, 253), 253);
    CHECK_I64(url_host_len(big, 254), -1);
}

int main(void)
{
    test_host();
    test_paths();
    test_query();
    test_router();
    return check_done("test_router");
}
