/* kernel/crypto.h: the primitives authentication needs (later issues'
 * API keys, JWT and password logins), over BearSSL. Pure: compiled
 * unchanged into the host tests.
 *
 *   sha256_digest      SHA-256 (FIPS 180-4) of a buffer, for layers that
 *                      may not include BearSSL (migration checksums,
 *                      idempotency fingerprints, bearer-token hashes)
 *   crypto_equal       constant-time comparison (time independent of
 *                      where the bytes differ)
 *   hmac_sha256        RFC 2104 with SHA-256
 *   pbkdf2_sha256      RFC 8018 section 5.2 with HMAC-SHA256; the state
 *                      form runs a bounded number of iterations a call,
 *                      so a slow password hash can be spread over event
 *                      loop turns
 *   ecdsa_p256_verify  a raw (r || s, 64 bytes) P-256 signature over a
 *                      SHA-256 hash, as JWT's ES256 carries it (RFC 7518
 *                      section 3.4), with an uncompressed public key
 *   base64_encode      RFC 4648: section 4 (padded) or section 5 (url,
 *                      unpadded)
 *   base64url_decode   RFC 4648 section 5, no padding (JWT's, cursors')
 */
#ifndef KERNEL_CRYPTO_H
#define KERNEL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

void sha256_digest(const void *p, size_t n, uint8_t out[32]);
int crypto_equal(const void *a, const void *b, size_t n);
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t n, uint8_t out[32]);

/* One output block at a time (outlen up to 32 bytes: one block). */
struct pbkdf2_state {
    uint8_t istate[32], ostate[32];     /* SHA-256 after the key's inner, outer block */
    uint8_t u[32], t[32];
    uint32_t done, iterations;
};
/* Set up for password and salt (the block index 1 appended). 0, or -1
 * when iterations is 0 or the salt is longer than 256 bytes. */
int pbkdf2_start(struct pbkdf2_state *s, const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                 uint32_t iterations);
/* Run up to n more iterations: 1 when all are done (the key in s->t). */
int pbkdf2_step(struct pbkdf2_state *s, uint32_t n);
/* All at once; outlen <= 32. 0 or -1 (as pbkdf2_start). */
int pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt, size_t saltlen, uint32_t iterations,
                  uint8_t *out, size_t outlen);

/* 1 valid, 0 not (or a malformed key). pub: 0x04 || X || Y (65 bytes). */
int ecdsa_p256_verify(const uint8_t pub[65], const uint8_t hash[32], const uint8_t sig[64]);

/* p[0..n) in base64 into out, NUL-terminated: url set, the URL alphabet
 * without padding (section 5), else the standard one padded with '='
 * (section 4). The length, or 0 when out (cap bytes) cannot hold it. */
size_t base64_encode(const void *p, size_t n, int url, char *out, size_t cap);
/* Decode n base64url characters (no padding) into out (cap bytes): the
 * length, or -1 for a character outside the alphabet, a length that is
 * 1 mod 4, non-zero trailing bits or too small a cap. */
long base64url_decode(const char *s, size_t n, uint8_t *out, size_t cap);

#endif
