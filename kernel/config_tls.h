/* kernel/config_tls.h: the certificate and key check behind the config's
 * tls section, on BearSSL's PEM, X.509 and key decoders. Pure (no kernel
 * state): compiled into the kernel and into apctl, so `apctl check` and
 * the boot refuse the same pairs with the same words.
 *
 * Checks: the certificate file holds one or more PEM certificates (leaf
 * first), each decodable; the key file holds exactly one unencrypted
 * private key (PKCS#8, SEC 1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE
 * KEY"); the key type is RSA of 2048 bits or more, or EC on P-256, P-384
 * or P-521; and the key's public half equals the leaf certificate's
 * public key. A combined file (key and chain in one) is allowed: each
 * side takes its own objects.
 *
 * Also here, for the same reason (one decoder in apctl and at boot): the
 * P-256 public keys that verify ES256 JWTs (config_p256_public_key).
 */
#ifndef KERNEL_CONFIG_TLS_H
#define KERNEL_CONFIG_TLS_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_TLS_CHAIN_MAX 8          /* certificates in a chain */

struct config_tls_info {
    unsigned chain_len;
    int key_is_ec;                      /* else RSA */
    unsigned key_bits;                  /* RSA modulus bits, or the curve's size */
};

/* 0 and *info, or CONFIG_TLS_BAD_CERT / CONFIG_TLS_BAD_KEY (which file
 * is at fault; a mismatch blames the key) with a one-line reason in why
 * (no position: the caller adds it). Key bytes never appear in why. */
enum { CONFIG_TLS_BAD_CERT = -1, CONFIG_TLS_BAD_KEY = -2 };
int config_tls_check(const uint8_t *cert, size_t cert_len, const uint8_t *key, size_t key_len,
                     struct config_tls_info *info, char *why, size_t whylen);

/* The objects of a PEM file, DER-decoded (BearSSL's PEM decoder), for the
 * check above and for the TLS server that loads the same files at boot.
 * decode: 0, or -1 when the PEM framing is broken (free s either way). free wipes
 * every object (keys among them) and frees them. */
struct config_pem { char name[128]; uint8_t *der; size_t len, cap; };
struct config_pem_set { struct config_pem obj[CONFIG_TLS_CHAIN_MAX + 4]; unsigned n; int overflow; };
int config_pem_decode(const uint8_t *buf, size_t len, struct config_pem_set *s);
void config_pem_free(struct config_pem_set *s);
/* 1 for the PEM names of private keys (PKCS#8, SEC 1, PKCS#1). */
int config_pem_is_key(const char *name);

/* An ES256 verification key (the auth section's jwt-key ... es256): the
 * file holds exactly one PEM "PUBLIC KEY" (SubjectPublicKeyInfo, RFC
 * 5480) for id-ecPublicKey on prime256v1 with an uncompressed point that
 * lies on the curve. 0 and pub = 0x04 || X || Y, or -1 with a one-line
 * reason in why (no position: the caller adds it). */
int config_p256_public_key(const uint8_t *pem, size_t len, uint8_t pub[65], char *why, size_t whylen);

#endif
