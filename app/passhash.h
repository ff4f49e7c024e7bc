/* app/passhash.h: the stored form of a password hash (pure):
 *
 *   pbkdf2-sha256$ITERATIONS$SALT$HASH
 *
 * SALT and HASH in standard base64 (RFC 4648 section 4) without padding,
 * (close to, but not the same as, passlib's and Django's forms). The hash is
 * PBKDF2-HMAC-SHA256 (kernel/crypto.h) with a 32-byte output. Each stored
 * hash keeps its own iteration count, so raising the configured count
 * applies to new hashes while old ones still verify (docs/auth.md).
 */
#ifndef APP_PASSHASH_H
#define APP_PASSHASH_H

#include <stddef.h>
#include <stdint.h>

#define PASSHASH_MAX 160                /* the longest stored form, with its NUL */
#define PASSHASH_SALT 16                /* bytes of salt in new hashes */
#define PASSHASH_SALT_MIN 8
#define PASSHASH_SALT_MAX 64
#define PASSHASH_ITER_MAX 10000000u     /* a stored count above this is refused, not run */

/* The stored form into out (cap bytes): its length, or 0 if it does not fit. */
size_t passhash_format(uint32_t iterations, const uint8_t *salt, size_t saltlen, const uint8_t dk[32], char *out,
                       size_t cap);
/* Parse s[0..n): 0 with the parts, or -1 when it is not that form (other
 * schemes, counts of 0 or over PASSHASH_ITER_MAX, salts outside 8-64
 * bytes, a hash that is not 32 bytes). */
int passhash_parse(const char *s, size_t n, uint32_t *iterations, uint8_t salt[PASSHASH_SALT_MAX], size_t *saltlen,
                   uint8_t dk[32]);

#endif
