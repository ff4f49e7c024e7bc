/* kernel/config_tls.c: certificate and key checks for the tls section, and
 * the P-256 public keys of the auth section's ES256 jwt-keys (see
 * config_tls.h). With kernel/csprng.c and kernel/crypto.c, one of the
 * kernel files allowed BearSSL headers (docs/architecture.md): the checks
 * must run identically in apctl and at boot, below the net/ layer that
 * serves TLS. */
#include "kernel/config_tls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bearssl.h"

static void pem_append(void *ctx, const void *src, size_t len)
{
    struct config_pem *o = ctx;
    if (!o->der)
        return;
    if (o->len + len > o->cap) {
        free(o->der);
        o->der = NULL;          /* cannot happen: DER is shorter than its PEM */
        return;
    }
    memcpy(o->der + o->len, src, len);
    o->len += len;
}

void config_pem_free(struct config_pem_set *s)
{
    for (unsigned i = 0; i < s->n; i++) {
        if (s->obj[i].der)
            memset(s->obj[i].der, 0, s->obj[i].len);   /* keys among them */
        free(s->obj[i].der);
    }
    s->n = 0;
}

int config_pem_decode(const uint8_t *buf, size_t len, struct config_pem_set *s)
{
    br_pem_decoder_context pc;
    struct config_pem scratch = { "", NULL, 0, 0 };
    struct config_pem *cur = NULL;
    int final = 0;
    memset(s, 0, sizeof *s);
    br_pem_decoder_init(&pc);
    /* A final newline closes a last line the file may leave open. */
    while (len > 0 || !final) {
        if (len == 0) {
            buf = (const uint8_t *)"\n";
            len = 1;
            final = 1;
        }
        size_t used = br_pem_decoder_push(&pc, buf, len);
        buf += used;
        len -= used;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            cur = s->n < sizeof s->obj / sizeof s->obj[0] ? &s->obj[s->n++] : (s->overflow = 1, &scratch);
            snprintf(cur->name, sizeof cur->name, "%s", br_pem_decoder_name(&pc));
            free(cur == &scratch ? scratch.der : NULL);
            cur->cap = len + 1;
            cur->der = malloc(cur->cap);
            cur->len = 0;
            br_pem_decoder_setdest(&pc, pem_append, cur);
            break;
        case BR_PEM_END_OBJ:
            if (cur && !cur->der) {
                free(scratch.der);
                return -1;
            }
            cur = NULL;
            break;
        case BR_PEM_ERROR:
            free(scratch.der);
            return -1;
        default:
            break;
        }
        if (final && len == 0)
            break;
    }
    free(scratch.der);
    return cur ? -1 : 0;        /* an object left open has no END line */
}

int config_pem_is_key(const char *n)
{
    return !strcmp(n, "PRIVATE KEY") || !strcmp(n, "EC PRIVATE KEY") || !strcmp(n, "RSA PRIVATE KEY");
}

static unsigned curve_bits(int curve)
{
    return curve == BR_EC_secp256r1 ? 256 : curve == BR_EC_secp384r1 ? 384 : curve == BR_EC_secp521r1 ? 521 : 0;
}

/* Strip leading zero bytes of a big-endian integer. */
static void trim(const unsigned char **p, size_t *len)
{
    while (*len > 1 && **p == 0)
        (*p)++, (*len)--;
}

static int fail(char *why, size_t whylen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t whylen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return code;
}

static int compare(const br_x509_pkey *pk, const br_skey_decoder_context *kc, struct config_tls_info *info,
                   char *why, size_t whylen)
{
    int type = br_skey_decoder_key_type(kc);
    if (type == BR_KEYTYPE_EC) {
        const br_ec_private_key *sk = br_skey_decoder_get_ec(kc);
        unsigned bits = curve_bits(sk->curve);
        if (!bits)
            return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the key's elliptic curve is not supported "
                        "(use P-256, P-384 or P-521)");
        uint8_t kbuf[BR_EC_KBUF_PUB_MAX_SIZE];
        br_ec_public_key pub;
        if (!br_ec_compute_pub(br_ec_get_default(), &pub, kbuf, sk))
            return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the EC private key is invalid");
        info->key_is_ec = 1;
        info->key_bits = bits;
        if (pk->key_type != BR_KEYTYPE_EC || pk->key.ec.curve != sk->curve || pk->key.ec.qlen != pub.qlen ||
            memcmp(pk->key.ec.q, pub.q, pub.qlen) != 0)
            return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the key does not match the certificate "
                        "(the certificate's public key is not this key's)");
        return 0;
    }
    if (type == BR_KEYTYPE_RSA) {
        const br_rsa_private_key *sk = br_skey_decoder_get_rsa(kc);
        br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
        br_rsa_compute_pubexp pubexp = br_rsa_compute_pubexp_get_default();
        size_t nlen = modulus(NULL, sk);
        uint8_t *n = nlen ? malloc(nlen) : NULL;
        if (!n || modulus(n, sk) != nlen) {
            free(n);
            return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the RSA private key is invalid");
        }
        info->key_is_ec = 0;
        info->key_bits = sk->n_bitlen;
        /* The modulus decides. BearSSL's key decoder drops e, and can
         * recompute it only when p and q are 3 mod 4: compare e too
         * when it can. */
        uint32_t e = pubexp(sk);
        int same = pk->key_type == BR_KEYTYPE_RSA;
        if (same) {
            const unsigned char *cn = pk->key.rsa.n, *ce = pk->key.rsa.e, *kn = n;
            size_t cnlen = pk->key.rsa.nlen, celen = pk->key.rsa.elen, knlen = nlen;
            uint8_t ebytes[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e };
            const unsigned char *ke = ebytes;
            size_t kelen = 4;
            trim(&cn, &cnlen), trim(&ce, &celen), trim(&kn, &knlen), trim(&ke, &kelen);
            same = cnlen == knlen && !memcmp(cn, kn, knlen) &&
                   (!e || (celen == kelen && !memcmp(ce, ke, kelen)));
        }
        free(n);
        if (!same)
            return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the key does not match the certificate "
                        "(the certificate's public key is not this key's)");
        if (sk->n_bitlen < 2048)
            return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the RSA key is shorter than 2048 bits "
                        "(make a new key of 2048 bits or more, or use ECDSA P-256)");
        return 0;
    }
    return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the key is neither RSA nor EC");
}

int config_tls_check(const uint8_t *cert, size_t cert_len, const uint8_t *key, size_t key_len,
                     struct config_tls_info *info, char *why, size_t whylen)
{
    static struct config_pem_set certs, keys;
    static br_x509_decoder_context dc;
    static br_skey_decoder_context kc;
    int rc = 0;
    memset(info, 0, sizeof *info);
    if (config_pem_decode(cert, cert_len, &certs) < 0) {
        config_pem_free(&certs);
        return fail(why, whylen, CONFIG_TLS_BAD_CERT, "the certificate file's PEM is damaged "
                    "(a BEGIN line without its END, or bad base64)");
    }
    if (config_pem_decode(key, key_len, &keys) < 0) {
        config_pem_free(&certs);
        config_pem_free(&keys);
        return fail(why, whylen, CONFIG_TLS_BAD_KEY, "the key file's PEM is damaged "
                    "(a BEGIN line without its END, or bad base64)");
    }
    const struct config_pem *leaf = NULL, *sk = NULL;
    unsigned nkeys = 0;
    for (unsigned i = 0; i < certs.n; i++) {
        if (strcmp(certs.obj[i].name, "CERTIFICATE") != 0 && strcmp(certs.obj[i].name, "X509 CERTIFICATE") != 0)
            continue;
        if (!leaf)
            leaf = &certs.obj[i];
        info->chain_len++;
        br_x509_decoder_init(&dc, NULL, NULL);
        br_x509_decoder_push(&dc, certs.obj[i].der, certs.obj[i].len);
        if (!br_x509_decoder_get_pkey(&dc) || br_x509_decoder_last_error(&dc)) {
            rc = fail(why, whylen, CONFIG_TLS_BAD_CERT, "certificate %u of the file is not a valid "
                      "X.509 certificate", info->chain_len);
            goto out;
        }
    }
    for (unsigned i = 0; i < keys.n; i++)
        if (config_pem_is_key(keys.obj[i].name))
            sk = &keys.obj[i], nkeys++;
    if (!leaf) {
        rc = fail(why, whylen, CONFIG_TLS_BAD_CERT, "no certificate in the file "
                  "(want -----BEGIN CERTIFICATE-----)");
    } else if (certs.overflow || info->chain_len > CONFIG_TLS_CHAIN_MAX) {
        rc = fail(why, whylen, CONFIG_TLS_BAD_CERT, "more than 8 certificates in the chain");
    } else if (nkeys != 1) {
        rc = fail(why, whylen, CONFIG_TLS_BAD_KEY, "%s", nkeys ? "more than one private key in the "
                  "file (keep the one that matches the certificate)" : "no private key in the file "
                  "(want -----BEGIN PRIVATE KEY-----)");
    } else {
        br_skey_decoder_init(&kc);
        br_skey_decoder_push(&kc, sk->der, sk->len);
        if (br_skey_decoder_last_error(&kc)) {
            rc = fail(why, whylen, CONFIG_TLS_BAD_KEY, "the private key cannot be decoded "
                      "(want an unencrypted PKCS#8, SEC 1 or PKCS#1 key)");
        } else {
            /* The leaf's public key: decode it again, the loop went on. */
            br_x509_decoder_init(&dc, NULL, NULL);
            br_x509_decoder_push(&dc, leaf->der, leaf->len);
            rc = compare(br_x509_decoder_get_pkey(&dc), &kc, info, why, whylen);
        }
        /* The decoder held the private key: wipe it. */
        memset(&kc, 0, sizeof kc);
    }
out:
    config_pem_free(&certs);
    config_pem_free(&keys);
    return rc;
}

/* One DER element of tag at *p (n bytes left): its contents in *val,
 * *len; *p and *n move past it. Definite lengths up to 65535 only (a
 * P-256 key is 91 bytes). 0, or -1 on another tag or a bad length. */
static int der_take(const uint8_t **p, size_t *n, uint8_t tag, const uint8_t **val, size_t *len)
{
    const uint8_t *q = *p;
    size_t left = *n, k;
    if (left < 2 || q[0] != tag)
        return -1;
    if (q[1] < 0x80) {
        k = q[1];
        q += 2, left -= 2;
    } else if (q[1] == 0x81 && left >= 3 && q[2] >= 0x80) {
        k = q[2];
        q += 3, left -= 3;
    } else if (q[1] == 0x82 && left >= 4 && q[2]) {
        k = (size_t)q[2] << 8 | q[3];
        q += 4, left -= 4;
    } else {
        return -1;
    }
    if (k > left)
        return -1;
    *val = q;
    *len = k;
    *p = q + k;
    *n = left - k;
    return 0;
}

static int der_is(const uint8_t *v, size_t len, const uint8_t *want, size_t wlen)
{
    return len == wlen && memcmp(v, want, wlen) == 0;
}

int config_p256_public_key(const uint8_t *pem, size_t len, uint8_t pub[65], char *why, size_t whylen)
{
    /* OIDs' contents (RFC 5480 2.1.1, RFC 8017 A.1). */
    static const uint8_t ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 },
                         prime256v1[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 },
                         rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
    static struct config_pem_set objs;
    const char *generate = "openssl ecparam -name prime256v1 -genkey | openssl ec -pubout";
    int rc = -1;
    if (config_pem_decode(pem, len, &objs) < 0) {
        config_pem_free(&objs);
        return fail(why, whylen, -1, "the PEM is damaged (a BEGIN line without its END, or bad base64)");
    }
    const struct config_pem *pk = NULL;
    unsigned npub = 0, npriv = 0, ncert = 0;
    for (unsigned i = 0; i < objs.n; i++) {
        if (!strcmp(objs.obj[i].name, "PUBLIC KEY"))
            pk = &objs.obj[i], npub++;
        else if (config_pem_is_key(objs.obj[i].name))
            npriv++;
        else if (!strcmp(objs.obj[i].name, "CERTIFICATE"))
            ncert++;
    }
    const uint8_t *p, *spki, *alg, *oid, *bits;
    size_t n, spki_len, alg_len, oid_len, bits_len;
    if (npriv) {
        rc = fail(why, whylen, -1, "holds a private key: give the public half only "
                  "(openssl ec -in key.pem -pubout), the private key stays with the token issuer");
    } else if (!npub) {
        if (ncert)
            rc = fail(why, whylen, -1, "holds a certificate, not a public key (openssl x509 -in cert.pem "
                      "-pubkey -noout)");
        else
            rc = fail(why, whylen, -1, "holds no PEM public key (want -----BEGIN PUBLIC KEY-----: %s)",
                      generate);
    } else if (npub > 1 || objs.overflow) {
        rc = fail(why, whylen, -1, "more than one public key in the file (one per jwt-key)");
    } else {
        /* SEQUENCE { SEQUENCE { OID alg, params }, BIT STRING key } */
        p = pk->der, n = pk->len;
        if (der_take(&p, &n, 0x30, &spki, &spki_len) < 0 || n != 0 ||
            der_take(&spki, &spki_len, 0x30, &alg, &alg_len) < 0 ||
            der_take(&spki, &spki_len, 0x03, &bits, &bits_len) < 0 || spki_len != 0 ||
            der_take(&alg, &alg_len, 0x06, &oid, &oid_len) < 0) {
            rc = fail(why, whylen, -1, "not a P-256 public key: the PUBLIC KEY does not decode (%s)", generate);
        } else if (der_is(oid, oid_len, rsa, sizeof rsa)) {
            rc = fail(why, whylen, -1, "an RSA key: es256 takes a P-256 EC key (%s)", generate);
        } else if (!der_is(oid, oid_len, ec_public_key, sizeof ec_public_key)) {
            rc = fail(why, whylen, -1, "not a P-256 public key: not an EC key (%s)", generate);
        } else if (der_take(&alg, &alg_len, 0x06, &oid, &oid_len) < 0 || alg_len != 0 ||
                   !der_is(oid, oid_len, prime256v1, sizeof prime256v1)) {
            rc = fail(why, whylen, -1, "not a P-256 public key: an EC key on another curve "
                      "(ES256 is P-256, prime256v1: %s)", generate);
        } else if (bits_len == 34 && bits[0] == 0 && (bits[1] == 2 || bits[1] == 3)) {
            rc = fail(why, whylen, -1, "a compressed point: write it uncompressed (openssl ec -pubin "
                      "-in key.pem -pubout -conv_form uncompressed)");
        } else if (bits_len != 66 || bits[0] != 0 || bits[1] != 4) {
            rc = fail(why, whylen, -1, "not a P-256 public key: the point is not 65 bytes 04||X||Y");
        } else {
            /* Decoding checks the point is on the curve; times 1 it stays. */
            static const uint8_t one[1] = { 1 };
            uint8_t g[65];
            memcpy(g, bits + 1, 65);
            if (!br_ec_get_default()->mul(g, sizeof g, one, sizeof one, BR_EC_secp256r1)) {
                rc = fail(why, whylen, -1, "not a P-256 public key: the point is not on the curve");
            } else {
                memcpy(pub, bits + 1, 65);
                rc = 0;
            }
        }
    }
    config_pem_free(&objs);
    return rc;
}
