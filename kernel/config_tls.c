/* kernel/config_tls.c: certificate and key checks for the tls section (see
 * config_tls.h). With kernel/csprng.c, one of the two kernel files allowed
 * BearSSL headers (docs/architecture.md): the check must run identically
 * in apctl and at boot, below the net/ layer that serves TLS. */
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
