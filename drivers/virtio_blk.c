/* drivers/virtio_blk.c: virtio-blk (virtio 1.2 5.2) behind struct blkdev.
 *
 * One request queue, one request in flight: the store issues synchronous
 * reads and writes, so the driver adds a chain (16-byte header, data in
 * segments of at most SEG_MAX_BYTES, 1-byte status), kicks, and polls the
 * used ring until the device answers or BLK_DEADLINE_NS passes. The queue
 * asks for no interrupts: nothing waits on them. Capacity is in 512-byte
 * sectors (5.2.4) whatever blk_size says; we keep 512-byte sectors.
 * Features: VERSION_1, FLUSH (durability), RO, SEG_MAX, SIZE_MAX.
 */
#include "drivers/drivers.h"

#include <errno.h>
#include <string.h>
#include "drivers/blkdev.h"
#include "drivers/virtio.h"
#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "kernel/panic.h"

#define F_SIZE_MAX (1ULL << 1)
#define F_SEG_MAX (1ULL << 2)
#define F_RO (1ULL << 5)
#define F_FLUSH (1ULL << 9)
#define CFG_CAPACITY 0      /* le64, 512-byte sectors */
#define CFG_SIZE_MAX 8      /* le32 */
#define CFG_SEG_MAX 12      /* le32 */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define SECTOR 512
#define QUEUE_MAX 128
#define SEGS_MAX 32
#define SEG_MAX_BYTES (64u * 1024)

struct vblk {
    struct virtio_dev vdev;
    struct blkdev bd;
    struct virtq q;
    void *cookies[QUEUE_MAX];
    struct { uint32_t type, reserved; uint64_t sector; } hdr __attribute__((aligned(16)));
    volatile uint8_t status;
    unsigned segs;                  /* data segments per request we use */
    uint32_t seg_bytes;
};

#define VBLK_MAX 4                  /* vda-vdd (kernel/main.c names them) */
static struct vblk vb[VBLK_MAX];
static int vb_attached;

static int submit(struct vblk *v, uint32_t type, uint64_t lba, void *buf, uint32_t bytes)
{
    if (v->bd.failed)
        return -EIO;
    struct virtq_buf bufs[SEGS_MAX + 2];
    unsigned n = 0;
    v->hdr.type = type;
    v->hdr.reserved = 0;
    v->hdr.sector = lba;
    bufs[n].addr = (uint64_t)(uintptr_t)&v->hdr;
    bufs[n++].len = sizeof v->hdr;
    for (uint32_t off = 0; off < bytes; off += v->seg_bytes) {
        uint32_t len = bytes - off < v->seg_bytes ? bytes - off : v->seg_bytes;
        bufs[n].addr = (uint64_t)(uintptr_t)buf + off;
        bufs[n++].len = len;
    }
    v->status = 0xff;
    bufs[n].addr = (uint64_t)(uintptr_t)&v->status;
    bufs[n++].len = 1;
    unsigned nout = type == T_IN ? 1 : n - 1, nin = n - nout;
    if (virtq_add_chain(&v->q, bufs, nout, nin, v) < 0)
        return -EIO;
    virtio_kick(&v->vdev, 0, &v->q);
    uint64_t deadline = clock_monotonic_ns() + BLK_DEADLINE_NS;
    uint32_t len;
    unsigned bad = 0;
    while (!virtq_get_used(&v->q, &len, &bad)) {
        if (clock_monotonic_ns() > deadline) {
            log_error("virtio-blk", "%s: request (type %u, lba %llu) missed its %llus deadline: "
                      "device reset and disabled", v->bd.name, type, (unsigned long long)lba,
                      (unsigned long long)(BLK_DEADLINE_NS / 1000000000ULL));
            v->bd.failed = 1;
            v->bd.stats.errors++;
            /* The caller frees buf after -EIO: the device must stop using
             * it first. A reset does that (virtio 1.2 2.4); a device that
             * will not even reset could write into freed memory, which is
             * worse than stopping. */
            if (virtio_reset(&v->vdev) < 0)
                panic("virtio-blk: %s ignores reset after a timed-out request: stopping before "
                      "it can write into freed memory", v->bd.name);
            return -EIO;
        }
        cpu_pause();
    }
    if (v->status != S_OK) {
        v->bd.stats.errors++;
        log_warn("virtio-blk", "%s: request type %u lba %llu: device status %u (%s)", v->bd.name, type,
                 (unsigned long long)lba, v->status,
                 v->status == S_IOERR ? "I/O error" : v->status == S_UNSUPP ? "unsupported" : "bad");
        return v->status == S_UNSUPP ? -ENOTSUP : -EIO;
    }
    return 0;
}

static int range_ok(struct blkdev *b, uint64_t lba, uint32_t n)
{
    return n > 0 && lba < b->nsectors && n <= b->nsectors - lba;
}

/* Split big transfers into requests that fit the queue's segments. */
static int rw(struct blkdev *b, uint32_t type, uint64_t lba, void *buf, uint32_t n)
{
    struct vblk *v = b->priv;
    if (!range_ok(b, lba, n))
        return -ERANGE;
    uint32_t per = (v->segs * v->seg_bytes) / SECTOR;
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < per ? n - done : per;
        int rc = submit(v, type, lba + done, (uint8_t *)buf + (size_t)done * SECTOR, k * SECTOR);
        if (rc < 0)
            return rc;
        done += k;
    }
    return 0;
}

static int vblk_read(struct blkdev *b, uint64_t lba, void *buf, uint32_t n)
{
    int rc = rw(b, T_IN, lba, buf, n);
    if (rc == 0) {
        b->stats.reads++;
        b->stats.sectors_read += n;
    }
    return rc;
}

static int vblk_write(struct blkdev *b, uint64_t lba, const void *buf, uint32_t n)
{
    if (b->read_only)
        return -EROFS;
    int rc = rw(b, T_OUT, lba, (void *)(uintptr_t)buf, n);
    if (rc == 0) {
        b->stats.writes++;
        b->stats.sectors_written += n;
    }
    return rc;
}

static int vblk_flush(struct blkdev *b)
{
    if (!b->durable)
        return -ENOTSUP;
    int rc = submit(b->priv, T_FLUSH, 0, NULL, 0);
    if (rc == 0)
        b->stats.flushes++;
    return rc;
}

struct blkdev *virtio_blk_attach(const struct virtio_loc *p)
{
    if (vb_attached == VBLK_MAX) {
        log_warn("virtio-blk", "%d disks are supported: extra one ignored", VBLK_MAX);
        return NULL;
    }
    struct vblk *v = &vb[vb_attached];
    memset(v, 0, sizeof *v);
    if (virtio_probe(&v->vdev, p) < 0 ||
        virtio_negotiate(&v->vdev, F_FLUSH | F_RO | F_SEG_MAX | F_SIZE_MAX, 0) < 0)
        return NULL;
    int qs = virtio_queue_setup(&v->vdev, 0, &v->q, QUEUE_MAX, v->cookies);
    if (qs < 4) {
        virtio_fail(&v->vdev);
        return NULL;
    }
    virtq_set_interrupts(&v->q, false);
    uint64_t cap;
    virtio_config_read(&v->vdev, CFG_CAPACITY, &cap, 8);
    v->segs = SEGS_MAX;
    if ((unsigned)qs - 2 < v->segs)
        v->segs = (unsigned)qs - 2;
    if (v->vdev.features & F_SEG_MAX) {
        uint32_t sm;
        virtio_config_read(&v->vdev, CFG_SEG_MAX, &sm, 4);
        if (sm >= 1 && sm < v->segs)
            v->segs = sm;
    }
    v->seg_bytes = SEG_MAX_BYTES;
    if (v->vdev.features & F_SIZE_MAX) {
        uint32_t sz;
        virtio_config_read(&v->vdev, CFG_SIZE_MAX, &sz, 4);
        if (sz >= SECTOR && sz < v->seg_bytes)
            v->seg_bytes = sz & ~(SECTOR - 1u);
    }
    struct blkdev *b = &v->bd;
    b->name = v->vdev.name;
    b->priv = v;
    b->nsectors = cap;
    b->sector_size = SECTOR;
    b->durable = (v->vdev.features & F_FLUSH) != 0;
    b->read_only = (v->vdev.features & F_RO) != 0;
    b->read = vblk_read;
    b->write = vblk_write;
    b->flush = vblk_flush;
    if (virtio_start(&v->vdev) < 0)
        return NULL;
    vb_attached++;
    log_info("virtio-blk", "%s: %llu sectors (%.1f MiB)%s, up to %u x %u KiB per request", b->name,
             (unsigned long long)cap, (double)cap * SECTOR / (1024.0 * 1024.0),
             b->read_only ? ", read-only" : "", v->segs, v->seg_bytes / 1024);
    if (!b->durable)
        log_warn("virtio-blk", "%s: device cannot flush (no VIRTIO_BLK_F_FLUSH): writes are NOT "
                 "durable across power loss; the store will refuse to promise durability", b->name);
    return b;
}
