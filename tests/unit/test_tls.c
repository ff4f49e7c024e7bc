/* tests/unit/test_tls.c: the pure parts of the TLS server: the session
 * cache (net/tls_cache.c) against a model, and the SNI certificate choice
 * (net/tls_sni.c). */
#include <stdlib.h>

#include "net/tls_cache.h"
#include "net/tls_sni.h"
#include "tests/unit/check.h"

static struct tls_session session(uint32_t n, uint64_t name)
{
    struct tls_session s;
    memset(&s, 0, sizeof s);
    /* IDs that share their first four bytes in pairs: the bucket chains
     * get more than one entry. */
    s.id[0] = (uint8_t)(n / 2), s.id[1] = (uint8_t)(n / 512), s.id[31] = (uint8_t)n, s.id[30] = (uint8_t)(n >> 8);
    memset(s.master, (int)(n & 0xff), sizeof s.master);
    s.version = 0x0303;
    s.suite = (uint16_t)n;
    s.name_hash = name;
    return s;
}

static void test_cache_basic(void)
{
    struct tls_cache c;
    void *mem = malloc(tls_cache_bytes(4));
    tls_cache_init(&c, mem, 4, 100);
    struct tls_session out, a = session(1, 7);
    CHECK_I64(tls_cache_lookup(&c, a.id, 7, 0, &out), 0);
    tls_cache_store(&c, &a, 10);
    CHECK_I64(tls_cache_lookup(&c, a.id, 7, 50, &out), 1);
    CHECK_U64(out.suite, 1);
    CHECK(memcmp(out.master, a.master, sizeof a.master) == 0);
    /* Another server name (RFC 6066 3): no resumption; any name: found,
     * with the name it was made for. */
    CHECK_I64(tls_cache_lookup(&c, a.id, 8, 50, &out), 0);
    CHECK_I64(tls_cache_lookup(&c, a.id, TLS_ANY_NAME, 50, &out), 1);
    CHECK_U64(out.name_hash, 7);
    /* Its lifetime, to the second: alive at 109, gone at 110. */
    CHECK_I64(tls_cache_lookup(&c, a.id, 7, 109, &out), 1);
    CHECK_I64(tls_cache_lookup(&c, a.id, 7, 110, &out), 0);
    /* Storing the same ID again keeps the first entry and its age. */
    tls_cache_store(&c, &a, 60);
    CHECK_U64(c.count, 1);
    /* Full: the oldest goes first, and its secret with it. */
    for (uint32_t i = 2; i <= 5; i++) {
        struct tls_session s = session(i, 7);
        tls_cache_store(&c, &s, 20 + i);
    }
    CHECK_U64(c.count, 4);
    CHECK_U64(c.evicted, 1);
    CHECK_I64(tls_cache_lookup(&c, a.id, 7, 30, &out), 0);
    for (uint32_t i = 2; i <= 5; i++) {
        struct tls_session s = session(i, 7);
        CHECK_I64(tls_cache_lookup(&c, s.id, 7, 30, &out), 1);
        CHECK_U64(out.suite, i);
    }
    /* Expiry sweeps oldest first and wipes. */
    tls_cache_expire(&c, 123);                  /* born 22, 23: 101 and 100 s old */
    CHECK_U64(c.count, 2);
    CHECK_U64(c.expired, 2);
    tls_cache_expire(&c, 1000);
    CHECK_U64(c.count, 0);
    const uint8_t *raw = mem;
    int zero = 1;
    for (size_t i = 0; i < tls_cache_bytes(4); i++)
        zero &= raw[i] == 0;
    CHECK(zero);                                /* no master secret left behind */
    free(mem);
}

static void test_cache_off(void)
{
    struct tls_cache c;
    tls_cache_init(&c, NULL, 0, 100);
    CHECK_U64(tls_cache_bytes(0), 0);
    struct tls_session out, a = session(1, 7);
    tls_cache_store(&c, &a, 1);
    CHECK_I64(tls_cache_lookup(&c, a.id, 7, 1, &out), 0);
}

/* Many stores and lookups against a model of what must be there: the
 * last `cap` distinct sessions stored, while younger than the lifetime. */
static void test_cache_model(void)
{
    enum { CAP = 37, N = 3000, LIFE = 50 };
    struct tls_cache c;
    void *mem = malloc(tls_cache_bytes(CAP));
    tls_cache_init(&c, mem, CAP, LIFE);
    static uint32_t born[N];
    uint32_t now = 0, rnd = 12345;
    int bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        rnd = rnd * 1103515245u + 12345u;
        now += (rnd >> 16) % 3;
        struct tls_session s = session(i, i % 3);
        tls_cache_store(&c, &s, now);
        born[i] = now;
        if (i % 7 == 0)
            tls_cache_expire(&c, now);
        for (uint32_t j = i > 60 ? i - 60 : 0; j <= i; j++) {
            struct tls_session q = session(j, j % 3), out;
            int want = i - j < CAP && now - born[j] < LIFE;
            int got = tls_cache_lookup(&c, q.id, j % 3, now, &out);
            if (got != want || (got && out.suite != (uint16_t)j))
                bad++;
        }
    }
    CHECK_I64(bad, 0);
    CHECK(c.count <= CAP);
    free(mem);
}

static void test_name_hash(void)
{
    CHECK_U64(tls_name_hash("Example.COM"), tls_name_hash("example.com"));
    CHECK(tls_name_hash("example.com") != tls_name_hash("example.org"));
    CHECK_U64(tls_name_hash(NULL), tls_name_hash(""));
    CHECK(tls_name_hash("") != TLS_ANY_NAME);
}

static void test_sni(void)
{
    struct config_tls t;
    memset(&t, 0, sizeof t);
    t.ncert = 3;
    t.cert[1].names[0] = "api.example.com";
    t.cert[1].names[1] = "*.api.example.com";
    t.cert[1].nnames = 2;
    t.cert[2].names[0] = "*.example.com";
    t.cert[2].names[1] = "shop.example.org";
    t.cert[2].nnames = 2;
    static const struct { const char *sni; unsigned want; } cases[] = {
        { NULL, 0 }, { "", 0 }, { "api.example.com", 1 }, { "API.Example.Com", 1 },
        { "v1.api.example.com", 1 }, { "a.v1.api.example.com", 0 }, { "www.example.com", 2 },
        { "example.com", 0 }, { "shop.example.org", 2 }, { "other.org", 0 }, { ".example.com", 0 },
        { "x.example.com.", 0 }, { "localhost", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned got = tls_sni_pick(&t, cases[i].sni);
        if (got != cases[i].want) {
            fprintf(stderr, "tls_sni_pick(%s) = %u, want %u\n", cases[i].sni ? cases[i].sni : "NULL", got,
                    cases[i].want);
            CHECK(0);
        }
    }
}

int main(void)
{
    test_cache_basic();
    test_cache_off();
    test_cache_model();
    test_name_hash();
    test_sni();
    return check_done("test_tls");
}
