/* drivers/blktest.c: the test-only disk exercise (see blkdev.h), reached
 * through test.disk=write:SEED or test.disk=verify:SEED. Sector LBA holds:
 * bytes 0-7 the LBA, 8-15 the seed, the rest xorshift64 from LBA ^ seed,
 * so a sector written to the wrong place, or stale, is caught. The host side
 * of the test (tests/image/test_disk.py) checks the same layout in the raw
 * disk file. */
#include "drivers/blkdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/clock.h"
#include "kernel/log.h"

#define CHUNK 128u          /* sectors per call */

static void fill(uint8_t *s, uint64_t lba, uint64_t seed)
{
    memcpy(s, &lba, 8);
    memcpy(s + 8, &seed, 8);
    uint64_t x = (lba ^ seed) | 1;
    for (unsigned i = 16; i < 512; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(s + i, &x, 8);
    }
}

int blkdev_test(struct blkdev *b, const char *mode)
{
    int writing = strncmp(mode, "write:", 6) == 0;
    if (!writing && strncmp(mode, "verify:", 7) != 0) {
        log_error("disktest", "test.disk=%s: want write:SEED or verify:SEED", mode);
        return -1;
    }
    uint64_t seed = strtoull(mode + (writing ? 6 : 7), NULL, 10);
    uint8_t *buf = malloc(CHUNK * 512), *want = malloc(512);
    if (!buf || !want) {
        free(buf);
        free(want);
        return -1;
    }
    uint64_t t0 = clock_monotonic_ns();
    int rc = 0;
    for (uint64_t lba = 0; lba < b->nsectors && rc == 0; lba += CHUNK) {
        uint32_t n = b->nsectors - lba < CHUNK ? (uint32_t)(b->nsectors - lba) : CHUNK;
        if (writing) {
            for (uint32_t k = 0; k < n; k++)
                fill(buf + 512 * k, lba + k, seed);
            if ((rc = b->write(b, lba, buf, n)) < 0)
                log_error("disktest", "write at lba %llu failed: %d", (unsigned long long)lba, rc);
        } else {
            if ((rc = b->read(b, lba, buf, n)) < 0) {
                log_error("disktest", "read at lba %llu failed: %d", (unsigned long long)lba, rc);
                break;
            }
            for (uint32_t k = 0; k < n; k++) {
                fill(want, lba + k, seed);
                if (memcmp(want, buf + 512 * k, 512) != 0) {
                    log_error("disktest", "MISMATCH at lba %llu", (unsigned long long)(lba + k));
                    rc = -1;
                    break;
                }
            }
        }
    }
    if (rc == 0 && writing && (rc = b->flush(b)) < 0)
        log_error("disktest", "flush failed: %d", rc);
    double secs = (double)(clock_monotonic_ns() - t0) / 1e9;
    if (rc == 0)
        log_info("disktest", "%s %llu sectors ok (%.1f MB/s)", writing ? "wrote and flushed" : "verified",
                 (unsigned long long)b->nsectors, (double)b->nsectors * 512 / 1e6 / (secs > 0 ? secs : 1e-9));
    /* Out-of-range requests fail cleanly, and the disk still works after. */
    int e1 = b->read(b, b->nsectors, buf, 1);
    int e2 = b->read(b, b->nsectors - 1, buf, 2);
    int e3 = b->write(b, UINT64_MAX - 1, buf, 4);
    int ok = b->read(b, b->nsectors - 1, buf, 1);
    /* A read-only disk refuses every write first. */
    int want_w = b->read_only ? -EROFS : -ERANGE;
    log_info("disktest", "past the end: read=%d read2=%d write=%d (want %d, %d); last sector read=%d",
             e1, e2, e3, -ERANGE, want_w, ok);
    if (e1 != -ERANGE || e2 != -ERANGE || e3 != want_w || ok != 0)
        rc = -1;
    free(buf);
    free(want);
    return rc;
}
