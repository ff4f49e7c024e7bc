/* Unit tests of the pure pieces of authentication: the stored password
 * hash form (app/passhash.c) with a 600,000-iteration PBKDF2 known answer
 * (Python's hashlib.pbkdf2_hmac gave it), cookie lookup and origins
 * (app/cookie.c). */
#include "app/cookie.h"
#include "app/passhash.h"
#include "kernel/crypto.h"
#include "tests/unit/check.h"

static void test_passhash(void)
{
    static const char stored[] = "pbkdf2-sha256$600000$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk";
    uint32_t it;
    uint8_t salt[PASSHASH_SALT_MAX], dk[32], got[32];
    size_t sl;
    CHECK(passhash_parse(stored, strlen(stored), &it, salt, &sl, dk) == 0);
    CHECK_U64(it, 600000);
    CHECK_U64(sl, 16);
    CHECK(memcmp(salt, "0123456789abcdef", 16) == 0);
    /* The known answer: the right password verifies, a wrong one not. */
    CHECK(pbkdf2_sha256("correct horse", 13, salt, sl, it, got, 32) == 0);
    CHECK(crypto_equal(got, dk, 32));
    CHECK(pbkdf2_sha256("correct horsf", 13, salt, sl, it, got, 32) == 0);
    CHECK(!crypto_equal(got, dk, 32));
    /* Round trip. */
    char out[PASSHASH_MAX];
    CHECK_U64(passhash_format(it, salt, sl, dk, out, sizeof out), strlen(stored));
    CHECK_STR(out, stored);
    CHECK_U64(passhash_format(it, salt, sl, dk, out, 20), 0);
    /* Not this form. */
    const char *bad[] = {
        "", "pbkdf2-sha256$", "pbkdf2-sha1$1000$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",
        "pbkdf2-sha256$0$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",
        "pbkdf2-sha256$010$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",
        "pbkdf2-sha256$10000001$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",
        "pbkdf2-sha256$99999999999999999999$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",
        "pbkdf2-sha256$1000$MDEy$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",            /* 3-byte salt */
        "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tu",  /* short hash */
        "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg_dg7WC7VQ4k8-iaopu8snxCGdA0xMTwPC5tudk", /* url alphabet */
        "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk", /* padding */
        "pbkdf2-sha256$1000MDEyMzQ1Njc4OWFiY2RlZg",
        "$2b$12$abcdefghijklmnopqrstuuOeWnwDrKT3jJ9UNbXDJA6C.vJ0bH9Xa",                       /* bcrypt */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(passhash_parse(bad[i], strlen(bad[i]), &it, salt, &sl, dk) == -1);
}

static void test_cookie(void)
{
    size_t n;
    const char *h = "theme=dark; sid=abc123; sid=second;x=\"q\" ";
    const char *v = cookie_get(h, strlen(h), "sid", &n);
    CHECK(v && n == 6 && !memcmp(v, "abc123", 6));
    v = cookie_get(h, strlen(h), "x", &n);
    CHECK(v && n == 1 && *v == 'q');
    CHECK(cookie_get(h, strlen(h), "si", &n) == NULL);
    CHECK(cookie_get(h, strlen(h), "theme=dark", &n) == NULL);
    CHECK(cookie_get("", 0, "sid", &n) == NULL);
    v = cookie_get("sid=", 4, "sid", &n);
    CHECK(v && n == 0);
    CHECK(cookie_get("xsid=1", 6, "sid", &n) == NULL);
    /* Origins of Referers. */
    const char *r = "https://app.example:8443/path?q#f";
    CHECK_U64(url_origin(r, strlen(r)), strlen("https://app.example:8443"));
    CHECK_U64(url_origin("https://a.example", 17), 17);
    CHECK_U64(url_origin("HTTP://A.example/x", 18), 16);
    CHECK_U64(url_origin("https:///x", 10), 0);
    CHECK_U64(url_origin("ftp://a/x", 9), 0);
    CHECK_U64(url_origin("https://evil@app.example/", 25), 0);
    CHECK_U64(url_origin("/relative", 9), 0);
    CHECK(origin_equal("https://App.Example", 19, "https://app.example", 19));
    CHECK(!origin_equal("https://app.example", 19, "https://app.example.evil", 24));
    /* The default port, written or not; any other port is another origin. */
    CHECK(origin_equal("https://a.example:443", 21, "https://a.example", 17));
    CHECK(origin_equal("http://a.example", 16, "http://a.example:80", 19));
    CHECK(!origin_equal("https://a.example:8443", 22, "https://a.example", 17));
    CHECK(!origin_equal("http://a.example:443", 20, "http://a.example", 16));
    CHECK(!origin_equal("https://a.example:443", 21, "http://a.example", 16));
}

int main(void)
{
    test_passhash();
    test_cookie();
    return check_done("test_auth");
}
