/* net/selftest.c: boot self-test of the network layer's libraries (see
 * net.h): lwIP initialises, BearSSL hashes a known-answer vector. */
#include "net/net.h"

#include <string.h>
#include "bearssl_hash.h"
#include "kernel/kernel.h"
#include "lwip/init.h"
#include "lwip/netif.h"

#ifndef BEARSSL_VERSION
#error "BEARSSL_VERSION comes from the Makefile (tools/deps.lock)"
#endif

const char *net_versions(void)
{
    return "lwIP " LWIP_VERSION_STRING ", BearSSL " BEARSSL_VERSION;
}

int net_selftest(void)
{
    int rc = 0;
    lwip_init();
    log_info("selftest", "lwip %s initialised ok", LWIP_VERSION_STRING);

    /* FIPS 180-2 appendix B.1: SHA-256("abc"). */
    static const uint8_t want[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
        0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
        0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    br_sha256_context ctx;
    uint8_t got[32];
    br_sha256_init(&ctx);
    br_sha256_update(&ctx, "abc", 3);
    br_sha256_out(&ctx, got);
    char hex[65];
    for (int i = 0; i < 32; i++) {
        static const char digits[] = "0123456789abcdef";
        hex[2 * i] = digits[got[i] >> 4];
        hex[2 * i + 1] = digits[got[i] & 15];
    }
    hex[64] = '\0';
    if (memcmp(got, want, 32) == 0) {
        log_info("selftest", "bearssl sha256(\"abc\") = %s ok", hex);
    } else {
        log_error("selftest", "bearssl sha256(\"abc\") = %s FAILED", hex);
        rc = -1;
    }
    return rc;
}
