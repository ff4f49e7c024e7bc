/* drivers/blkdev.h: the block device interface store/ sees.
 *
 * read/write move n whole sectors at lba (sector_size bytes each; buf is
 * the caller's, identity-mapped memory, borrowed for the call). They return
 * 0, -ERANGE for a range past the end (nothing is sent to the device),
 * -EIO when the device reports an error or misses its deadline, -EROFS on a
 * read-only device. Calls are synchronous: they return once the device has
 * answered, or the deadline (BLK_DEADLINE_NS) passed, in which case the
 * device is reset (so it stops using the caller's buffer), marked failed,
 * and every later call returns -EIO. flush makes every
 * completed write durable (VIRTIO_BLK_F_FLUSH); durable is 0 when the
 * device cannot flush, and flush then returns -ENOTSUP: callers that
 * promise durability must refuse to. Event-loop context only.
 */
#ifndef DRIVERS_BLKDEV_H
#define DRIVERS_BLKDEV_H

#include <stdint.h>

#define BLK_DEADLINE_NS (10ULL * 1000000000ULL)

struct blkdev_stats { uint64_t reads, writes, flushes, sectors_read, sectors_written, errors; };

struct blkdev {
    const char *name;
    uint64_t nsectors;
    uint32_t sector_size;
    int durable, read_only, failed;
    int (*read)(struct blkdev *, uint64_t lba, void *buf, uint32_t n);
    int (*write)(struct blkdev *, uint64_t lba, const void *buf, uint32_t n);
    int (*flush)(struct blkdev *);
    struct blkdev_stats stats;
    void *priv;
};

/* Test-only (test.disk=write:SEED / verify:SEED): fill every sector with a
 * pattern derived from its LBA and SEED, or check it; then check that
 * reads past the end fail cleanly. Logs the result; 0 ok, -1 failed. */
int blkdev_test(struct blkdev *b, const char *mode);

#endif
