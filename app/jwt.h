/* app/jwt.h: JSON Web Token verification (RFC 7519, JWS compact form of
 * RFC 7515), pure: for bearer tokens an external identity provider issues.
 *
 * Algorithms (RFC 7518): HS256 with a shared secret and ES256 with a P-256
 * public key. Each configured key names its one algorithm: a token's
 * "alg" must be that key's (so "none", and an HS256 token presented
 * against an ES256 key's public bytes, are refused). A "kid" picks the
 * key; without one, the first key of the token's algorithm. A "crit"
 * header is refused (no extension is understood).
 *
 * Claims: "exp" is required and enforced, "nbf" when present, both with
 * the policy's leeway in seconds; "iss" and "aud" (a string or an array
 * of strings) must match when the policy names them. The policy's
 * subject claim ("sub" by default; a string, or an integer given as its
 * decimal text) and role claim (a string) become the caller's identity.
 */
#ifndef APP_JWT_H
#define APP_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_MAX 8192                /* a token's characters */
#define JWT_SUB_MAX 128
#define JWT_ROLE_MAX 64

enum jwt_alg { JWT_HS256 = 1, JWT_ES256 = 2 };

struct jwt_key {
    const char *kid;                /* NULL: any token of its algorithm */
    enum jwt_alg alg;
    const uint8_t *secret;          /* HS256 */
    size_t secret_len;
    uint8_t pub[65];                /* ES256: 0x04 || X || Y */
};

struct jwt_policy {
    const struct jwt_key *keys;
    unsigned nkeys;
    int64_t now;                    /* seconds since 1970 */
    uint32_t leeway_s;
    const char *iss, *aud;          /* NULL: not checked */
    const char *sub_claim;          /* NULL: "sub" (a string or an integer) */
    const char *role_claim;         /* NULL: "role" */
};

struct jwt_claims {
    char sub[JWT_SUB_MAX + 1];
    char role[JWT_ROLE_MAX + 1];
    int64_t exp;
};

/* 0 and the claims, or -1 with *why (static text: what is wrong, never
 * the token). */
int jwt_verify(const char *tok, size_t n, const struct jwt_policy *p, struct jwt_claims *out, const char **why);
/* 1 and *id when sub is a canonical decimal integer within 64 bits
 * ("0", "42", "-7": no sign '+', spaces or leading zeros, so two
 * different subjects never give one id), else 0. */
int jwt_subject_id(const char *sub, int64_t *id);

#endif
