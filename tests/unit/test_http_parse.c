/* Unit tests of the HTTP/1.1 request parser and chunked decoder
 * (app/http_parse.c): a table of heads with the exact status each gets,
 * incremental scanning over every split, the fields and framing the
 * server acts on, limits at their edges, and chunked bodies. */
#include <stdlib.h>

#include "app/http_parse.h"
#include "tests/unit/check.h"

static const struct http_limits lim = { .request_line_max = 64, .header_max = 128, .headers_max = 5 };

/* Scan (one byte at a time, as the worst network would) and parse: 0 or
 * the status; -1 when the head never completes. */
static int run(const char *s, struct http_request *rq)
{
    size_t n = strlen(s);
    struct http_scan sc = { 0 };
    int end = 0;
    for (size_t i = 1; i <= n && end == 0; i++)
        end = http_head_end(s, i, &sc, &lim);
    struct http_scan whole = { 0 };
    CHECK_I64(http_head_end(s, n, &whole, &lim), end);      /* the same however it arrived */
    if (end == 0)
        return -1;
    if (end < 0)
        return -end;
    return http_parse_head(s, (size_t)end, &lim, rq);
}

static void test_table(void)
{
    static const struct { const char *req; int status; } t[] = {
        { "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0 },
        { "GET / HTTP/1.0\r\n\r\n", 0 },
        { "GET / HTTP/1.1\nHost: a\n\n", 0 },                             /* bare LF lines */
        { "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0 },               /* empty lines first */
        { "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0 },
        { "GET http://example.com/x?y HTTP/1.1\r\nHost: a\r\n\r\n", 0 },
        { "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0 },                       /* answered as 1.1 */
        { "GET / HTTP/1.1\r\n\r\n", 400 },                                /* no Host */
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 0 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 0 },
        { "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400 },      /* obsolete folding */
        { "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },                    /* space before colon */
        { "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400 },                  /* bare CR */
        { "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 0 },             /* obs-text is allowed */
        { "GET / HTTP/1.1\r\nNoColon\r\nHost: a\r\n\r\n", 400 },
        { "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
        { "get / HTTP/1.1\r\nHost: a\r\n\r\n", 501 },                    /* methods are case-sensitive */
        { "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
        { "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
        { "GET / HTTP/0.9\r\n\r\n", 505 },
        { "GET / HTTP/1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400 },
        { "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /\r\n\r\n", 400 },                                         /* HTTP/0.9 form */
        { "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
        { " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", 0 },
        { "GET / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", 417 },
        { "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 0 },     /* 5 fields */
        { "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", 431 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct http_request rq;
        int r = run(t[i].req, &rq);
        CHECK_I64(r, t[i].status);
        if (r != t[i].status)
            fprintf(stderr, "  row %u: %s\n", i, r ? rq.why : "accepted");
        else if (r)
            CHECK(rq.why != NULL);
    }
}

static void test_fields(void)
{
    struct http_request rq;
    const char *s = "POST /api/x%20y?a=1&b=2 HTTP/1.1\r\nHost: example.com\r\n"
                    "Content-Length: 12\r\nConnection: keep-alive, Upgrade\r\n"
                    "X-Custom:   spaced value  \r\nIf-None-Match: \"abc\"\r\n\r\nBODY";
    size_t n = strlen(s) - 4;
    struct http_scan sc = { 0 };
    CHECK_I64(http_head_end(s, strlen(s), &sc, &(struct http_limits){ 100, 400, 20 }), (int64_t)n);
    CHECK_I64(http_parse_head(s, n, &(struct http_limits){ 100, 400, 20 }, &rq), 0);
    CHECK(rq.method == HTTP_POST && rq.minor == 1 && rq.keep_alive && !rq.chunked);
    CHECK(rq.has_length && rq.length == 12);
    CHECK(rq.nfields == 5);
    CHECK(http_span_is(s, rq.path, "/api/x%20y") && http_span_is(s, rq.query, "a=1&b=2"));
    CHECK(http_span_is(s, rq.field[HF_HOST], "example.com"));
    CHECK(http_span_is(s, rq.field[HF_IF_NONE_MATCH], "\"abc\""));
    size_t vl;
    const char *v = http_header(s, &rq, "x-custom", &vl);
    CHECK(v && vl == 12 && memcmp(v, "spaced value", 12) == 0);
    CHECK(http_header(s, &rq, "x-missing", &vl) == NULL);
    CHECK(http_header(s, &rq, "body", &vl) == NULL);          /* the body is not a field */

    /* Keep-alive by version and Connection (RFC 9112 section 9.3). */
    CHECK(run("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &rq) == 0 && !rq.keep_alive);
    CHECK(run("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n", &rq) == 0 && !rq.keep_alive);
    CHECK(run("GET / HTTP/1.0\r\n\r\n", &rq) == 0 && !rq.keep_alive && rq.minor == 0);
    CHECK(run("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &rq) == 0 && rq.keep_alive);
    CHECK(run("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &rq) == 0 && rq.keep_alive);
    CHECK(run("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n", &rq) == 0 && rq.expect_continue);
    CHECK(run("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &rq) == 0 && rq.chunked);
    /* Targets. */
    const char *abs = "GET http://h.example:8080/p/q?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(run(abs, &rq) == 0 && http_span_is(abs, rq.path, "/p/q") && http_span_is(abs, rq.query, "x=1"));
    const char *bare = "GET HTTPS://h HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(run(bare, &rq) == 0 && rq.path.len == 0 && rq.query.len == 0);
    const char *star = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(run(star, &rq) == 0 && http_span_is(star, rq.path, "*"));
    const char *q0 = "GET /a? HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(run(q0, &rq) == 0 && http_span_is(q0, rq.path, "/a") && rq.query.len == 0);
}

static void test_limits(void)
{
    /* The request line: 64 bytes pass, 65 get 414, even before its end. */
    char line[256], req[512];
    memset(line, 'a', sizeof line);
    struct http_request rq;
    int base = (int)strlen("GET / HTTP/1.1") - 1;               /* "GET /" + "a"*k + " HTTP/1.1" */
    snprintf(req, sizeof req, "GET /%.*s HTTP/1.1\r\nHost: a\r\n\r\n", 64 - base - 1, line);
    CHECK_I64(run(req, &rq), 0);
    snprintf(req, sizeof req, "GET /%.*s HTTP/1.1\r\nHost: a\r\n\r\n", 64 - base, line);
    CHECK_I64(run(req, &rq), 414);
    snprintf(req, sizeof req, "GET /%.*s", 100, line);
    struct http_scan sc = { 0 };
    CHECK_I64(http_head_end(req, strlen(req), &sc, &lim), -414);  /* no line end yet */
    /* Header lines: 128 bytes together pass, more get 431 (even unfinished). */
    char fields[200];
    snprintf(fields, sizeof fields, "Host: a\r\nX: %.*s\r\n", 128 - 9 - 5, line);
    CHECK(strlen(fields) == 128);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\n%s\r\n", fields);
    CHECK_I64(run(req, &rq), 0);
    snprintf(fields, sizeof fields, "Host: a\r\nX: %.*s\r\n", 128 - 9 - 4, line);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\n%s\r\n", fields);
    CHECK_I64(run(req, &rq), 431);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nX: %.*s", 200, line);
    memset(&sc, 0, sizeof sc);
    CHECK_I64(http_head_end(req, strlen(req), &sc, &lim), -431);
    /* Incomplete heads wait. */
    memset(&sc, 0, sizeof sc);
    CHECK_I64(http_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r", 26, &sc, &lim), 0);
    CHECK_I64(http_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, &sc, &lim), 27);
    /* NUL in the head. */
    memset(&sc, 0, sizeof sc);
    CHECK_I64(http_head_end("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n", 28, &sc, &lim), -400);
}

/* Chunked bodies over every split of the input. */
static int dechunk(const char *in, size_t n, size_t step, char *out, size_t *outlen, size_t *used)
{
    struct http_chunked c;
    http_chunked_init(&c);
    size_t i = 0, o = 0;
    int done = 0;
    while (i < n && !done) {
        size_t k = n - i < step ? n - i : step, cap = 7;   /* a small out: data is cut too */
        char buf[7];
        long r = http_chunked_feed(&c, in + i, k, buf, &cap, &done);
        if (r < 0)
            return -1;
        memcpy(out + o, buf, cap);
        o += cap;
        i += (size_t)r;
        if (r == 0 && cap == 0 && !done)
            return -2;                                      /* no progress */
    }
    *outlen = o;
    *used = i;
    return done;
}

static void test_chunked(void)
{
    static const struct { const char *in; int ok; const char *body; size_t rest; } t[] = {
        { "5\r\nhello\r\n0\r\n\r\n", 1, "hello", 0 },
        { "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT", 1, "hello world", 4 },
        { "a;name=value\r\n0123456789\r\n0\r\n\r\n", 1, "0123456789", 0 },
        { "A \t;x\r\n0123456789\r\n0\r\n\r\n", 1, "0123456789", 0 },
        { "3\r\nabc\r\n0\r\nTrailer: x\r\nT2: y\r\n\r\n", 1, "abc", 0 },
        { "3\nabc\n0\n\n", 1, "abc", 0 },                       /* bare LF */
        { "0\r\n\r\n", 1, "", 0 },
        { "\r\n", 0, "", 0 },                                   /* no size */
        { "x\r\n", 0, "", 0 },
        { "-1\r\n", 0, "", 0 },
        { "3\r\nabcd\r\n", 0, "", 0 },                          /* data longer than its size */
        { "3\r\nab", 2, "ab", 0 },                              /* incomplete */
        { "1000000000000000\r\n", 0, "", 0 },                   /* 16 hex digits */
        { "3\r\nabc\rX", 0, "", 0 },
        { "0\r\nBad\x01\r\n\r\n", 0, "", 0 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (size_t step = 1; step <= 64; step *= 4) {
            char out[64] = { 0 };
            size_t olen = 0, used = 0;
            int r = dechunk(t[i].in, strlen(t[i].in), step, out, &olen, &used);
            if (t[i].ok == 1) {
                CHECK_I64(r, 1);
                CHECK(olen == strlen(t[i].body) && memcmp(out, t[i].body, olen) == 0);
                CHECK_U64(strlen(t[i].in) - used, t[i].rest);
            } else if (t[i].ok == 2) {
                CHECK_I64(r, 0);
            } else {
                CHECK_I64(r, -1);
            }
            if ((t[i].ok == 1 && r != 1) || (t[i].ok == 0 && r != -1))
                fprintf(stderr, "  chunked row %u step %zu: %d\n", i, step, r);
        }
    }
    /* Bounded extension and trailer lines. */
    char *big = malloc(HTTP_CHUNK_LINE_MAX + 64);
    memset(big, 'x', HTTP_CHUNK_LINE_MAX + 10);
    memcpy(big, "1;", 2);
    strcpy(big + HTTP_CHUNK_LINE_MAX + 10, "\r\nz\r\n0\r\n\r\n");
    size_t olen, used;
    char out[64];
    CHECK_I64(dechunk(big, strlen(big), 64, out, &olen, &used), -1);
    free(big);
}

int main(void)
{
    test_table();
    test_fields();
    test_limits();
    test_chunked();
    return check_done("test_http_parse");
}
