/* Unit tests of JWT verification (app/jwt.c) and its primitives
 * (kernel/crypto.c): RFC 7515's HS256 (A.1) and ES256 (A.3) examples
 * verify at their time and expire after it; "alg":"none", an algorithm
 * other than the key's, tampered payloads and signatures, a missing exp,
 * nbf, iss and aud are refused; PBKDF2-HMAC-SHA256 known answers (also
 * in slices); constant-time comparison; base64 and base64url edge cases;
 * the seeds' expired example token. */
#include <stdlib.h>

#include "app/jwt.h"
#include "kernel/crypto.h"
#include "tests/unit/check.h"

static const char HS_TOKEN[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char HS_KEY_B64[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char ES_TOKEN[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
static const char ES_X[] = "7fcdce2770f6c45d4183cbee6fdb4b7b580733357be9ef13bacf6e3c7bd15445";
static const char ES_Y[] = "c7f144cd1bbd9b7e872cdfedb9eeb9f4b3695d6ea90b24ad8a4623288588e5ad";
#define EXP 1300819380

static void unhex(const char *h, uint8_t *out)
{
    for (size_t i = 0; h[2 * i]; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static struct jwt_key keys[2];
static uint8_t hs_secret[64];

static int verify(const char *tok, int64_t now, const char **why, struct jwt_claims *c)
{
    struct jwt_policy p = { keys, 2, now, 0, NULL, NULL, NULL, NULL };
    return jwt_verify(tok, strlen(tok), &p, c, why);
}

/* A token of header and payload JSON signed with HS256 and the example key. */
static char *hs_sign(const char *header, const char *payload)
{
    static char out[2048];
    size_t o = base64_encode(header, strlen(header), 1, out, sizeof out);
    out[o++] = '.';
    o += base64_encode(payload, strlen(payload), 1, out + o, sizeof out - o);
    uint8_t mac[32];
    hmac_sha256(hs_secret, sizeof hs_secret, out, o, mac);
    out[o++] = '.';
    base64_encode(mac, 32, 1, out + o, sizeof out - o);
    return out;
}

static void test_rfc_examples(void)
{
    const char *why = NULL;
    struct jwt_claims c;
    CHECK(verify(HS_TOKEN, EXP - 10, &why, &c) == 0);
    CHECK_U64(c.exp, EXP);
    CHECK(verify(ES_TOKEN, EXP - 10, &why, &c) == 0);
    CHECK(verify(HS_TOKEN, EXP + 1, &why, &c) == -1);
    CHECK_STR(why, "the token has expired");
    /* A leeway of a minute: a second late is still fine. */
    struct jwt_policy p = { keys, 2, EXP + 30, 60, NULL, NULL, NULL, NULL };
    CHECK(jwt_verify(ES_TOKEN, strlen(ES_TOKEN), &p, &c, &why) == 0);
    /* Issuer: "joe". */
    p.iss = "joe";
    CHECK(jwt_verify(ES_TOKEN, strlen(ES_TOKEN), &p, &c, &why) == 0);
    p.iss = "mallory";
    CHECK(jwt_verify(ES_TOKEN, strlen(ES_TOKEN), &p, &c, &why) == -1);
    CHECK_STR(why, "the token's issuer (iss) is not the configured one");
}

static void test_tampering(void)
{
    const char *why = NULL;
    struct jwt_claims c;
    static char t[sizeof ES_TOKEN];
    /* A flipped payload character: the signature no longer verifies. */
    memcpy(t, ES_TOKEN, sizeof t);
    t[30] = t[30] == 'A' ? 'B' : 'A';
    CHECK(verify(t, EXP - 10, &why, &c) == -1);
    memcpy(t, ES_TOKEN, sizeof t);
    t[sizeof t - 5] = t[sizeof t - 5] == 'A' ? 'B' : 'A';
    CHECK(verify(t, EXP - 10, &why, &c) == -1);
    CHECK_STR(why, "the token's signature does not verify");
    /* alg none, with or without a signature. */
    CHECK(verify("eyJhbGciOiJub25lIn0.eyJleHAiOjk5OTk5OTk5OTl9.", 0, &why, &c) == -1);
    CHECK_STR(why, "the token's algorithm is not HS256 or ES256");
    /* An HS256 token presented to the ES256 key (kid): refused, never an
     * HMAC keyed with the public key. */
    CHECK(verify(hs_sign("{\"alg\":\"HS256\",\"kid\":\"es\"}", "{\"exp\":9999999999}"), 0, &why, &c) == -1);
    CHECK_STR(why, "the token's algorithm is not its key's");
    /* Structure. */
    CHECK(verify("a.b", 0, &why, &c) == -1);
    CHECK(verify("a.b.c.d", 0, &why, &c) == -1);
    CHECK(verify("!!!.e30.", 0, &why, &c) == -1);
    CHECK(verify(hs_sign("{\"alg\":\"HS256\",\"crit\":[\"b64\"]}", "{\"exp\":9999999999}"), 0, &why, &c) == -1);
    CHECK_STR(why, "the token has critical header extensions");
}

static void test_claims(void)
{
    const char *why = NULL;
    struct jwt_claims c;
    const char *h = "{\"alg\":\"HS256\"}";
    CHECK(verify(hs_sign(h, "{\"sub\":\"u42\",\"role\":\"admin\",\"exp\":2000}"), 1000, &why, &c) == 0);
    CHECK_STR(c.sub, "u42");
    CHECK_STR(c.role, "admin");
    CHECK(verify(hs_sign(h, "{\"sub\":\"u42\"}"), 1000, &why, &c) == -1);
    CHECK_STR(why, "the token has no expiry (exp)");
    CHECK(verify(hs_sign(h, "{\"exp\":\"2000\"}"), 1000, &why, &c) == -1);
    CHECK(verify(hs_sign(h, "{\"exp\":2000,\"nbf\":1500}"), 1000, &why, &c) == -1);
    CHECK_STR(why, "the token is not valid yet (nbf)");
    CHECK(verify(hs_sign(h, "{\"exp\":2000.5,\"nbf\":999}"), 2000, &why, &c) == 0);
    /* An integer subject is its decimal text; other kinds are refused. */
    CHECK(verify(hs_sign(h, "{\"exp\":2000,\"sub\":7}"), 1000, &why, &c) == 0);
    CHECK_STR(c.sub, "7");
    CHECK(verify(hs_sign(h, "{\"exp\":2000,\"sub\":7.5}"), 1000, &why, &c) == -1);
    CHECK(verify(hs_sign(h, "{\"exp\":2000,\"sub\":[\"a\"]}"), 1000, &why, &c) == -1);
    struct jwt_policy p = { keys, 2, 1000, 0, NULL, "api", NULL, NULL };
    const char *t = hs_sign(h, "{\"exp\":2000,\"aud\":[\"web\",\"api\"]}");
    CHECK(jwt_verify(t, strlen(t), &p, &c, &why) == 0);
    t = hs_sign(h, "{\"exp\":2000,\"aud\":\"api\"}");
    CHECK(jwt_verify(t, strlen(t), &p, &c, &why) == 0);
    t = hs_sign(h, "{\"exp\":2000,\"aud\":[\"web\",\"apis\"]}");
    CHECK(jwt_verify(t, strlen(t), &p, &c, &why) == -1);
    CHECK_STR(why, "the token is not for this audience (aud)");
    t = hs_sign(h, "{\"exp\":2000}");
    CHECK(jwt_verify(t, strlen(t), &p, &c, &why) == -1);
    /* A configured role claim name. */
    p.aud = NULL;
    p.role_claim = "grp";
    t = hs_sign(h, "{\"exp\":2000,\"grp\":\"ops\",\"role\":\"admin\"}");
    CHECK(jwt_verify(t, strlen(t), &p, &c, &why) == 0);
    CHECK_STR(c.role, "ops");
    /* A configured subject claim: the seeds' userId. */
    p.sub_claim = "userId";
    t = hs_sign(h, "{\"exp\":2000,\"userId\":123,\"sub\":\"x\"}");
    CHECK(jwt_verify(t, strlen(t), &p, &c, &why) == 0);
    CHECK_STR(c.sub, "123");
}

/* The seeds' example token (003, "JWT-Based Authentication"): payload
 * {"userId":123,"role":"admin","exp":1640995200}, expired on 2022-01-01
 * and signed with a secret nobody configured here: refused both for its
 * signature and, were that right, for its age. */
static void test_seed_token(void)
{
    const char *why = NULL;
    struct jwt_claims c;
    static const char seed[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                               "eyJ1c2VySWQiOjEyMywicm9sZSI6ImFkbWluIiwiZXhwIjoxNjQwOTk1MjAwfQ."
                               "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    CHECK(verify(seed, 1764979200, &why, &c) == -1);
    CHECK_STR(why, "the token's signature does not verify");
    /* The same claims signed with our key: expired at any time since. */
    const char *t = hs_sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                            "{\"userId\":123,\"role\":\"admin\",\"exp\":1640995200}");
    CHECK(verify(t, 1764979200, &why, &c) == -1);
    CHECK_STR(why, "the token has expired");
    CHECK(verify(t, 1640995200 - 60, &why, &c) == 0);
    /* Wrong key type: an ES256 token where only an HS256 key is configured. */
    struct jwt_policy p = { keys, 1, EXP - 10, 0, NULL, NULL, NULL, NULL };
    CHECK(jwt_verify(ES_TOKEN, strlen(ES_TOKEN), &p, &c, &why) == -1);
}

static void test_subject_id(void)
{
    int64_t id = 99;
    CHECK(jwt_subject_id("0", &id) && id == 0);
    CHECK(jwt_subject_id("42", &id) && id == 42);
    CHECK(jwt_subject_id("-7", &id) && id == -7);
    CHECK(jwt_subject_id("9223372036854775807", &id) && id == INT64_MAX);
    CHECK(jwt_subject_id("-9223372036854775808", &id) && id == INT64_MIN);
    const char *bad[] = { "", "-", "-0", "05", "-05", "+5", " 5", "5 ", "5a", "0x10", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999", "1.0", "1e3" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!jwt_subject_id(bad[i], &id));
}

static void test_primitives(void)
{
    uint8_t out[32], want[32];
    CHECK(pbkdf2_sha256("password", 8, "salt", 4, 1, out, 32) == 0);
    unhex("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b", want);
    CHECK(memcmp(out, want, 32) == 0);
    CHECK(pbkdf2_sha256("password", 8, "salt", 4, 2, out, 32) == 0);
    unhex("ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43", want);
    CHECK(memcmp(out, want, 32) == 0);
    /* 4096 iterations, in slices of 1000 (as across event-loop turns). */
    struct pbkdf2_state s;
    CHECK(pbkdf2_start(&s, "password", 8, "salt", 4, 4096) == 0);
    int steps = 0;
    while (!pbkdf2_step(&s, 1000))
        steps++;
    CHECK_U64(steps, 4);
    unhex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a", want);
    CHECK(memcmp(s.t, want, 32) == 0);
    CHECK(pbkdf2_sha256("p", 1, "s", 1, 0, out, 32) == -1);
    CHECK(crypto_equal("abcd", "abcd", 4) && !crypto_equal("abcd", "abce", 4) && crypto_equal("", "", 0));
    uint8_t b[8];
    CHECK_I64(base64url_decode("", 0, b, sizeof b), 0);
    CHECK_I64(base64url_decode("YQ", 2, b, sizeof b), 1);
    CHECK(b[0] == 'a');
    CHECK_I64(base64url_decode("YR", 2, b, sizeof b), -1);          /* non-zero trailing bits */
    CHECK_I64(base64url_decode("Y", 1, b, sizeof b), -1);
    CHECK_I64(base64url_decode("YQ==", 4, b, sizeof b), -1);        /* no padding in JWT */
    CHECK_I64(base64url_decode("YWJjZGVmZ2hp", 12, b, sizeof b), -1); /* 9 bytes into 8 */
    char e[16];
    CHECK_U64(base64_encode("a", 1, 0, e, sizeof e), 4);
    CHECK_STR(e, "YQ==");
    CHECK_U64(base64_encode("ab", 2, 0, e, sizeof e), 4);
    CHECK_STR(e, "YWI=");
    CHECK_U64(base64_encode("ab?", 3, 0, e, sizeof e), 4);
    CHECK_STR(e, "YWI/");
    CHECK_U64(base64_encode("ab?", 3, 1, e, sizeof e), 4);
    CHECK_STR(e, "YWI_");
    CHECK_U64(base64_encode("a", 1, 1, e, sizeof e), 2);
    CHECK_STR(e, "YQ");
    CHECK_U64(base64_encode("", 0, 0, e, sizeof e), 0);
    CHECK_STR(e, "");
    CHECK_U64(base64_encode("abc", 3, 0, e, 4), 0);                /* no room for the NUL */
}

int main(void)
{
    long n = base64url_decode(HS_KEY_B64, strlen(HS_KEY_B64), hs_secret, sizeof hs_secret);
    CHECK_I64(n, 64);
    keys[0] = (struct jwt_key){ "hs", JWT_HS256, hs_secret, sizeof hs_secret, { 0 } };
    keys[1] = (struct jwt_key){ "es", JWT_ES256, NULL, 0, { 0x04 } };
    unhex(ES_X, keys[1].pub + 1);
    unhex(ES_Y, keys[1].pub + 33);
    test_rfc_examples();
    test_tampering();
    test_claims();
    test_seed_token();
    test_subject_id();
    test_primitives();
    return check_done("test_jwt");
}
