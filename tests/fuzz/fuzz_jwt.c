/* libFuzzer target: raw bytes as a bearer token for app/jwt.c, against an
 * HS256 and an ES256 key. Whatever the bytes: no out-of-bounds access or
 * leak; a token that verifies has an exp no earlier than now - leeway and
 * NUL-terminated identity strings; the same bytes verify the same way
 * twice (no hidden state). */
#include <stdlib.h>
#include <string.h>
#include "app/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t secret[] = "fuzz secret";
    static struct jwt_key keys[2] = {
        { "hs", JWT_HS256, secret, sizeof secret - 1, { 0 } },
        { NULL, JWT_ES256, NULL, 0, { 0x04 } },
    };
    struct jwt_policy p = { keys, 2, 1000, 60, NULL, "api", NULL, NULL };
    struct jwt_claims c1, c2;
    const char *why;
    int r1 = jwt_verify((const char *)data, size, &p, &c1, &why);
    int r2 = jwt_verify((const char *)data, size, &p, &c2, &why);
    if (r1 != r2)
        abort();
    if (r1 == 0 && (c1.exp < 1000 - 60 || memchr(c1.sub, 0, sizeof c1.sub) == NULL ||
                    memchr(c1.role, 0, sizeof c1.role) == NULL))
        abort();
    return 0;
}
