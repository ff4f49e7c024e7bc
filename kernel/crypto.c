/* kernel/crypto.c: see crypto.h. HMAC is written out over BearSSL's
 * SHA-256 (rather than br_hmac) so PBKDF2 can keep the hash states after
 * the key's inner and outer blocks: an iteration then costs two SHA-256
 * compressions instead of four. */
#include "kernel/crypto.h"

#include <string.h>
#include "bearssl.h"

void sha256_digest(const void *p, size_t n, uint8_t out[32])
{
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, p, n);
    br_sha256_out(&c, out);
}

int crypto_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(x[i] ^ y[i]);
    return d == 0;
}

static void pads(const void *key, size_t klen, uint8_t ipad[64], uint8_t opad[64])
{
    uint8_t k[64] = { 0 };
    if (klen > 64) {
        br_sha256_context c;
        br_sha256_init(&c);
        br_sha256_update(&c, key, klen);
        br_sha256_out(&c, k);
    } else {
        memcpy(k, key, klen);
    }
    for (int i = 0; i < 64; i++) {
        ipad[i] = (uint8_t)(k[i] ^ 0x36);
        opad[i] = (uint8_t)(k[i] ^ 0x5c);
    }
}

static void mac(const uint8_t ipad[64], const uint8_t opad[64], const void *m1, size_t n1, const void *m2,
                size_t n2, uint8_t out[32])
{
    br_sha256_context c;
    uint8_t inner[32];
    br_sha256_init(&c);
    br_sha256_update(&c, ipad, 64);
    br_sha256_update(&c, m1, n1);
    if (n2)
        br_sha256_update(&c, m2, n2);
    br_sha256_out(&c, inner);
    br_sha256_init(&c);
    br_sha256_update(&c, opad, 64);
    br_sha256_update(&c, inner, 32);
    br_sha256_out(&c, out);
}

void hmac_sha256(const void *key, size_t klen, const void *msg, size_t n, uint8_t out[32])
{
    uint8_t ipad[64], opad[64];
    pads(key, klen, ipad, opad);
    mac(ipad, opad, msg, n, NULL, 0, out);
}

/* The SHA-256 state after one 64-byte pad block. */
static void pad_state(const uint8_t pad[64], uint8_t st[32])
{
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, pad, 64);
    br_sha256_state(&c, st);
}

/* HMAC of a 32-byte message from the saved pad states. */
static void mac32(const uint8_t ist[32], const uint8_t ost[32], const uint8_t m[32], uint8_t out[32])
{
    br_sha256_context c;
    uint8_t inner[32];
    br_sha256_init(&c);
    br_sha256_set_state(&c, ist, 64);
    br_sha256_update(&c, m, 32);
    br_sha256_out(&c, inner);
    br_sha256_set_state(&c, ost, 64);
    br_sha256_update(&c, inner, 32);
    br_sha256_out(&c, out);
}

int pbkdf2_start(struct pbkdf2_state *s, const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                 uint32_t iterations)
{
    if (!iterations || saltlen > 256)
        return -1;
    uint8_t ipad[64], opad[64];
    pads(pw, pwlen, ipad, opad);
    static const uint8_t block1[4] = { 0, 0, 0, 1 };
    mac(ipad, opad, salt, saltlen, block1, 4, s->u);           /* U1 = PRF(P, S || INT(1)) */
    pad_state(ipad, s->istate);
    pad_state(opad, s->ostate);
    memset(ipad, 0, sizeof ipad);
    memset(opad, 0, sizeof opad);
    memcpy(s->t, s->u, 32);
    s->done = 1;
    s->iterations = iterations;
    return 0;
}

int pbkdf2_step(struct pbkdf2_state *s, uint32_t n)
{
    for (; n && s->done < s->iterations; n--, s->done++) {
        mac32(s->istate, s->ostate, s->u, s->u);                /* Uj = PRF(P, Uj-1) */
        for (int i = 0; i < 32; i++)
            s->t[i] ^= s->u[i];
    }
    return s->done == s->iterations;
}

int pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen, uint32_t iterations,
                  uint8_t *out, size_t outlen)
{
    struct pbkdf2_state s;
    if (outlen > 32 || pbkdf2_start(&s, pw, pwlen, salt, saltlen, iterations) < 0)
        return -1;
    pbkdf2_step(&s, iterations);
    memcpy(out, s.t, outlen);
    return 0;
}

int ecdsa_p256_verify(const uint8_t pub[65], const uint8_t hash[32], const uint8_t sig[64])
{
    if (pub[0] != 0x04)
        return 0;
    br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)(uintptr_t)pub, 65 };
    return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, sig, 64) == 1;
}

size_t base64_encode(const void *p, size_t n, int url, char *out, size_t cap)
{
    const char *t = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *b = p;
    size_t whole = n / 3 * 4, len = n % 3 == 0 ? whole : whole + (url ? n % 3 + 1 : 4);
    if (len + 1 > cap)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
        size_t k = n - i >= 3 ? 4 : n - i + 1;      /* characters that carry bits */
        for (size_t j = 0; j < k; j++)
            out[o++] = t[x >> (18 - 6 * j) & 63];
        if (!url)
            for (; k < 4; k++)
                out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

long base64url_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4 == 1)
        return -1;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
              : c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : c == '_' ? 63 : -1;
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1))
        return -1;
    return (long)o;
}
