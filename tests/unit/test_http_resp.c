/* Unit tests of the response pieces (app/http_resp.c): dates both ways,
 * JSON escaping and error bodies, media types, ETags and If-None-Match,
 * single ranges, Accept-Encoding with q-values. */
#include "app/http_resp.h"
#include "tests/unit/check.h"

static void test_dates(void)
{
    char d[30];
    http_date(784111777, d);                         /* RFC 9110's example */
    CHECK_STR(d, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_date(0, d);
    CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_date(951782400, d);                         /* a leap day */
    CHECK_STR(d, "Tue, 29 Feb 2000 00:00:00 GMT");
    http_date(4102444799, d);
    CHECK_STR(d, "Thu, 31 Dec 2099 23:59:59 GMT");
    int64_t t;
    CHECK(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t) == 0 && t == 784111777);
    for (int64_t x = 0; x < 4102444800; x += 86399 * 37) {
        http_date(x, d);
        CHECK(http_date_parse(d, 29, &t) == 0 && t == x);
    }
    const char *bad[] = { "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nox 1994 08:49:37 GMT",
                          "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT", "" };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(http_date_parse(bad[i], strlen(bad[i]), &t) == -1);
}

static void test_json(void)
{
    char out[64];
    CHECK(json_escape("a\"b\\c\n\x01", 7, out, sizeof out) == 19);
    CHECK_STR(out, "a\\\"b\\\\c\\u000a\\u0001");
    CHECK(json_escape("abcdef", 6, out, 4) == 3);    /* cut, terminated */
    CHECK_STR(out, "abc");
    http_error_json(404, NULL, out, sizeof out);
    CHECK_STR(out, "{\"error\":{\"status\":404,\"message\":\"Not Found\"}}\n");
    char big[128];
    http_error_json(400, "bad \"x\"", big, sizeof big);
    CHECK_STR(big, "{\"error\":{\"status\":400,\"message\":\"bad \\\"x\\\"\"}}\n");
    CHECK_STR(http_status_text(431), "Request Header Fields Too Large");
    CHECK_STR(http_status_text(299), "Unknown");
}

static void test_types_and_etags(void)
{
    CHECK_STR(http_media_type("www/index.html"), "text/html; charset=utf-8");
    CHECK_STR(http_media_type("a/B.PNG"), "image/png");
    CHECK_STR(http_media_type("x.tar.gz"), "application/octet-stream");
    CHECK_STR(http_media_type("dir.d/noext"), "application/octet-stream");
    CHECK_STR(http_media_type("f.woff2"), "font/woff2");
    char e1[19], e2[19];
    http_etag((const uint8_t *)"hello", 5, e1);
    http_etag((const uint8_t *)"hellp", 5, e2);
    CHECK(strlen(e1) == 18 && e1[0] == '"' && strcmp(e1, e2) != 0);
    http_etag((const uint8_t *)"", 0, e2);
    CHECK(strcmp(e1, e2) != 0);
    const char *v = "\"x\", W/\"y\"";
    CHECK(http_etag_match(v, strlen(v), "\"y\""));
    CHECK(http_etag_match(v, strlen(v), "\"x\""));
    CHECK(!http_etag_match(v, strlen(v), "\"z\""));
    CHECK(http_etag_match("*", 1, "\"z\""));
    CHECK(!http_etag_match("", 0, "\"z\""));
}

static void test_ranges(void)
{
    uint64_t lo, hi;
    struct { const char *v; uint64_t len; int r; uint64_t lo, hi; } t[] = {
        { "bytes=0-9", 100, 1, 0, 9 }, { "bytes=90-", 100, 1, 90, 99 }, { "bytes=-10", 100, 1, 90, 99 },
        { "bytes=-200", 100, 1, 0, 99 }, { "bytes=50-500", 100, 1, 50, 99 }, { "bytes=99-99", 100, 1, 99, 99 },
        { "bytes=100-", 100, -1, 0, 0 }, { "bytes=-0", 100, -1, 0, 0 }, { "bytes=0-", 0, -1, 0, 0 },
        { "bytes=5-4", 100, 0, 0, 0 }, { "bytes=0-1,3-4", 100, 0, 0, 0 }, { "items=0-1", 100, 0, 0, 0 },
        { "bytes=a-b", 100, 0, 0, 0 }, { "bytes=", 100, 0, 0, 0 }, { "bytes=1", 100, 0, 0, 0 },
        { "bytes=1-2x", 100, 0, 0, 0 }, { "bytes=12345678901234567890-", 100, 0, 0, 0 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        int r = http_range(t[i].v, strlen(t[i].v), t[i].len, &lo, &hi);
        CHECK_I64(r, t[i].r);
        if (r == 1)
            CHECK(lo == t[i].lo && hi == t[i].hi);
        if (r != t[i].r)
            fprintf(stderr, "  range row %u: %s\n", i, t[i].v);
    }
}

static void test_accepts(void)
{
    struct { const char *v; int gz; } t[] = {
        { "gzip", 1 }, { "GZIP", 1 }, { "deflate, gzip;q=0.5", 1 }, { "gzip;q=0", 0 }, { "gzip;q=0.000", 0 },
        { "gzip;q=0.001", 1 }, { "br", 0 }, { "", 0 }, { "x-gzip", 0 }, { "gzip , br", 1 },
    };
    for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
        CHECK_I64(http_accepts(t[i].v, strlen(t[i].v), "gzip"), t[i].gz);
        if (http_accepts(t[i].v, strlen(t[i].v), "gzip") != t[i].gz)
            fprintf(stderr, "  accepts row %u: %s\n", i, t[i].v);
    }
}

/* The backup's file-name stamp. */
static void test_stamp(void)
{
    char s[16];
    http_stamp(0, s);
    CHECK_STR(s, "19700101-000000");
    http_stamp(951782400 + 3661, s);            /* 2000-02-29, a leap day */
    CHECK_STR(s, "20000229-010101");
    http_stamp(1796538387, s);
    CHECK_STR(s, "20261206-062627");
}

int main(void)
{
    test_stamp();
    test_dates();
    test_json();
    test_types_and_etags();
    test_ranges();
    test_accepts();
    return check_done("test_http_resp");
}
