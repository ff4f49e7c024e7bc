/* libFuzzer target: the bytes authentication reads from clients and from
 * the disk: a Cookie field (app/cookie.c cookie_get), a Referer
 * (url_origin) and a users row's password_hash (app/passhash.c). No
 * out-of-bounds access; a cookie value found lies inside the field; an
 * origin is a prefix of the URL; a hash that parses formats back to a
 * string that parses to the same parts. */
#include <stdlib.h>
#include <string.h>
#include "app/cookie.h"
#include "app/passhash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t vl;
    const char *v = cookie_get(s, size, "sid", &vl);
    if (v && (v < s || v + vl > s + size))
        abort();
    size_t o = url_origin(s, size);
    if (o > size)
        abort();
    uint32_t it, it2;
    uint8_t salt[PASSHASH_SALT_MAX], dk[32], salt2[PASSHASH_SALT_MAX], dk2[32];
    size_t sl, sl2;
    if (passhash_parse(s, size, &it, salt, &sl, dk) == 0) {
        char out[PASSHASH_MAX];
        size_t n = passhash_format(it, salt, sl, dk, out, sizeof out);
        if (!n || passhash_parse(out, n, &it2, salt2, &sl2, dk2) != 0 || it2 != it || sl2 != sl ||
            memcmp(salt, salt2, sl) || memcmp(dk, dk2, 32))
            abort();
    }
    return 0;
}
