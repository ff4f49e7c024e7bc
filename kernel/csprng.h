/* kernel/csprng.h: the one CSPRNG of the system: BearSSL's HMAC-DRBG
 * (SHA-256, NIST SP 800-90A), seeded from RDSEED, else RDRAND, and
 * topped up by csprng_mix (virtio-rng, later).
 *
 * csprng_ready() is true only when the seed came from a hardware source
 * (>= 256 bits); TLS and anything secret must check it (csprng_fill returns
 * -1 otherwise). Without hardware entropy the DRBG is still seeded from TSC
 * jitter so rand_weak_fill serves non-secret uses (TCP ISNs, SQLite temp
 * names). Event-loop context only (not reentrant).
 */
#ifndef KERNEL_CSPRNG_H
#define KERNEL_CSPRNG_H

#include <stddef.h>
#include <stdint.h>

void csprng_init(void);
int csprng_ready(void);
/* "rdseed", "rdrand", "virtio-rng" or "none". */
const char *csprng_source(void);
/* 0, or -1 (buffer untouched) when not seeded from hardware. */
int csprng_fill(void *buf, size_t n);
void csprng_mix(const void *p, size_t n, const char *source);
/* Always fills; unpredictable only when csprng_ready(). */
void rand_weak_fill(void *buf, size_t n);
uint32_t rand_weak_u32(void);

#endif
