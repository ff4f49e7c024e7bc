/* app/passhash.c: see passhash.h. */
#include "app/passhash.h"

#include <stdio.h>
#include <string.h>

#include "kernel/kernel.h"

#define PREFIX "pbkdf2-sha256$"

size_t passhash_format(uint32_t iterations, const uint8_t *salt, size_t saltlen, const uint8_t dk[32], char *out,
                       size_t cap)
{
    char s64[2 * PASSHASH_SALT_MAX], h64[48];
    if (saltlen > PASSHASH_SALT_MAX || !base64_encode(salt, saltlen, 0, s64, sizeof s64) ||
        !base64_encode(dk, 32, 0, h64, sizeof h64))
        return 0;
    /* Padding off: the stored form's base64 has none. */
    s64[strcspn(s64, "=")] = 0;
    h64[strcspn(h64, "=")] = 0;
    int k = snprintf(out, cap, PREFIX "%u$%s$%s", (unsigned)iterations, s64, h64);
    return k > 0 && (size_t)k < cap ? (size_t)k : 0;
}

/* Standard base64 without padding, through the url decoder: '+' and '/'
 * become '-' and '_'; the url characters themselves are not this form's. */
static long b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    char t[2 * PASSHASH_SALT_MAX];
    if (n > sizeof t)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-' || s[i] == '_')
            return -1;
        t[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    return base64url_decode(t, n, out, cap);
}

int passhash_parse(const char *s, size_t n, uint32_t *iterations, uint8_t salt[PASSHASH_SALT_MAX], size_t *saltlen,
                   uint8_t dk[32])
{
    size_t pl = sizeof PREFIX - 1;
    if (n <= pl || memcmp(s, PREFIX, pl) != 0)
        return -1;
    const char *p = s + pl, *end = s + n;
    uint64_t it = 0;
    const char *d = p;
    while (p < end && *p >= '0' && *p <= '9' && it <= PASSHASH_ITER_MAX)
        it = it * 10 + (uint64_t)(*p++ - '0');
    if (p == d || p >= end || *p != '$' || (*d == '0') || it == 0 || it > PASSHASH_ITER_MAX)
        return -1;
    const char *sa = ++p;
    while (p < end && *p != '$')
        p++;
    if (p >= end)
        return -1;
    long sl = b64_decode(sa, (size_t)(p - sa), salt, PASSHASH_SALT_MAX);
    if (sl < PASSHASH_SALT_MIN)
        return -1;
    const char *h = ++p;
    uint8_t tmp[33];
    if (b64_decode(h, (size_t)(end - h), tmp, sizeof tmp) != 32)
        return -1;
    memcpy(dk, tmp, 32);
    *iterations = (uint32_t)it;
    *saltlen = (size_t)sl;
    return 0;
}
