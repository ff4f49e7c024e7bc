/* kernel/csprng.c: see csprng.h. The one kernel file that includes BearSSL
 * (docs/architecture.md): the DRBG sits below every layer that needs it. */
#include "kernel/csprng.h"

#include <string.h>
#include "bearssl_hash.h"
#include "bearssl_rand.h"
#include "kernel/arch.h"

static br_hmac_drbg_context drbg;
static int seeded_hw;
static const char *source = "none";

static int rdseed64(uint64_t *v)
{
    unsigned char ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
    return ok;
}

static int rdrand64(uint64_t *v)
{
    unsigned char ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
    return ok;
}

/* 6 x 64 bits (384 > 256 needed) from one instruction; retries are bounded
 * (Intel DRNG guide: RDRAND may fail transiently, RDSEED more often). A
 * source that repeats itself is treated as broken (some AMD parts returned
 * all-ones after suspend). */
static int hw_gather(int (*insn)(uint64_t *), uint64_t out[6])
{
    for (int i = 0; i < 6; i++) {
        int tries = 0;
        while (!insn(&out[i])) {
            if (++tries > 1000)
                return -1;
            cpu_pause();
        }
        if (i > 0 && out[i] == out[i - 1])
            return -1;
    }
    return out[0] == ~0ULL ? -1 : 0;
}

void csprng_init(void)
{
    uint32_t r[4];
    uint64_t seed[6];
    cpuid(0, 0, r);
    uint32_t maxleaf = r[0];
    cpuid(1, 0, r);
    int has_rdrand = (r[2] >> 30) & 1;
    int has_rdseed = 0;
    if (maxleaf >= 7) {
        cpuid(7, 0, r);
        has_rdseed = (r[1] >> 18) & 1;
    }
    if (has_rdseed && hw_gather(rdseed64, seed) == 0) {
        source = "rdseed";
        seeded_hw = 1;
    } else if (has_rdrand && hw_gather(rdrand64, seed) == 0) {
        source = "rdrand";
        seeded_hw = 1;
    } else {
        /* TSC low bits around port I/O: not a secret source, only keeps
         * non-secret randomness from repeating across boots. */
        for (int i = 0; i < 6; i++) {
            uint64_t x = 0;
            for (int k = 0; k < 64; k++) {
                x = (x << 1 | x >> 63) ^ rdtsc();
                (void)inb(0x80);
            }
            seed[i] = x;
        }
    }
    br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof seed);
    memset(seed, 0, sizeof seed);
}

int csprng_ready(void) { return seeded_hw; }
const char *csprng_source(void) { return source; }

int csprng_fill(void *buf, size_t n)
{
    if (!seeded_hw)
        return -1;
    br_hmac_drbg_generate(&drbg, buf, n);
    return 0;
}

void csprng_mix(const void *p, size_t n, const char *src)
{
    br_hmac_drbg_update(&drbg, p, n);
    if (n >= 32 && !seeded_hw) {
        seeded_hw = 1;
        source = src;
    }
}

void rand_weak_fill(void *buf, size_t n) { br_hmac_drbg_generate(&drbg, buf, n); }

uint32_t rand_weak_u32(void)
{
    uint32_t v;
    rand_weak_fill(&v, sizeof v);
    return v;
}

