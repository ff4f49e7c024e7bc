/* store/blkvfs.c: SQLite's files on the data disk (see blkvfs.h).
 *
 * A file's length lives in memory while the appliance runs. At attach it
 * is read back from the file itself, never from a table of lengths that
 * one write would have to keep in step with another:
 *   - the database: page size x page count from its header (SQLite keeps
 *     the in-header size valid on every commit);
 *   - the WAL and the journal: the whole region when their header's magic
 *     is there, else empty. SQLite reads a WAL only as far as its frames'
 *     salts and checksums hold, and a journal only as far as its header's
 *     record count, so the stale bytes after them are never taken for
 *     data. Deleting or truncating either to 0 zeroes its first sector,
 *     which is what "absent" means on the disk.
 */
#include "store/blkvfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite3.h"

struct bfile {
    sqlite3_file base;
    int region;
};

static struct {
    sqlite3_vfs vfs;
    sqlite3_vfs *base;                  /* the default VFS: randomness, time */
    struct blkdev *dev;
    struct layout lay;
    uint64_t size[LAYOUT_REGIONS];
    uint8_t *sector;                    /* bounce for partial sectors */
    /* The last sector written through the bounce, as it is on the disk:
     * the WAL is appended in frames of page + 24 bytes, so a commit's
     * next write begins in the sector the last one ended in; with this
     * it is not read back from the device (write-through: any other
     * write to it, or a failed one, drops it). */
    uint8_t *tail;
    uint64_t tail_lba;
    int tail_valid;
    int registered;
} bv;

static const char *const suffix[LAYOUT_REGIONS] = { "-wal", "-journal", "" };

static int region_of(const char *name)
{
    size_t k = strlen(BLKVFS_DB);
    if (!name || strncmp(name, BLKVFS_DB, k) != 0)
        return -1;
    for (int r = 0; r < LAYOUT_REGIONS; r++)
        if (strcmp(name + k, suffix[r]) == 0)
            return r;
    return -1;
}

/* Whole sectors at a region offset (sector-aligned). */
static int dev_io(int region, uint64_t off, void *buf, uint64_t len, int write)
{
    uint32_t ss = bv.dev->sector_size;
    uint64_t lba = (bv.lay.region[region].start + off) / ss;
    if (write && bv.tail_valid && bv.tail_lba >= lba && bv.tail_lba < lba + len / ss)
        bv.tail_valid = 0;
    int rc = write ? bv.dev->write(bv.dev, lba, buf, (uint32_t)(len / ss))
                   : bv.dev->read(bv.dev, lba, buf, (uint32_t)(len / ss));
    return rc;
}

/* Read or write [off, off + n) of a region through whole sectors. */
static int region_io(int region, uint64_t off, uint8_t *p, uint64_t n, int write)
{
    uint32_t ss = bv.dev->sector_size;
    while (n) {
        uint64_t in = off % ss;
        if (in || n < ss) {                     /* a partial sector: through the bounce */
            uint64_t k = ss - in < n ? ss - in : n;
            uint64_t at = off - in;
            uint64_t lba = (bv.lay.region[region].start + at) / ss;
            if (bv.tail_valid && bv.tail_lba == lba)
                memcpy(bv.sector, bv.tail, ss);
            else if (dev_io(region, at, bv.sector, ss, 0) < 0)
                return -1;
            if (write) {
                memcpy(bv.sector + in, p, k);
                if (dev_io(region, at, bv.sector, ss, 1) < 0)
                    return -1;
                memcpy(bv.tail, bv.sector, ss);
                bv.tail_lba = lba;
                bv.tail_valid = 1;
            } else {
                memcpy(p, bv.sector + in, k);
            }
            off += k, p += k, n -= k;
            continue;
        }
        uint64_t whole = n - n % ss;            /* straight from or into the caller's buffer */
        if (whole > (1u << 20))
            whole = 1u << 20;
        if (dev_io(region, off, p, whole, write) < 0)
            return -1;
        off += whole, p += whole, n -= whole;
    }
    return 0;
}

int blkvfs_read_db(uint64_t off, void *buf, size_t n)
{
    if (!bv.dev || off > bv.size[LAYOUT_DB] || n > bv.size[LAYOUT_DB] - off)
        return -1;
    return region_io(LAYOUT_DB, off, buf, n, 0);
}

static int f_close(sqlite3_file *f)
{
    (void)f;
    return SQLITE_OK;
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    struct bfile *b = (struct bfile *)f;
    uint64_t size = bv.size[b->region], o = (uint64_t)off, n = (uint64_t)amt, have = 0;
    if (o < size)
        have = size - o < n ? size - o : n;
    if (have && region_io(b->region, o, buf, have, 0) < 0)
        return SQLITE_IOERR_READ;
    if (have < n) {
        memset((uint8_t *)buf + have, 0, n - have);   /* SQLite requires the zero fill */
        return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    struct bfile *b = (struct bfile *)f;
    uint64_t o = (uint64_t)off, n = (uint64_t)amt;
    if (o + n > bv.lay.region[b->region].len)
        return SQLITE_FULL;
    if (region_io(b->region, o, (uint8_t *)(uintptr_t)buf, n, 1) < 0)
        return SQLITE_IOERR_WRITE;
    if (o + n > bv.size[b->region])
        bv.size[b->region] = o + n;
    return SQLITE_OK;
}

/* "Absent" on the disk: the first sector zeroed. */
static int clear_header(int region)
{
    memset(bv.sector, 0, bv.dev->sector_size);
    return dev_io(region, 0, bv.sector, bv.dev->sector_size, 1);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct bfile *b = (struct bfile *)f;
    if (size == 0 && b->region != LAYOUT_DB && clear_header(b->region) < 0)
        return SQLITE_IOERR_TRUNCATE;
    if ((uint64_t)size < bv.size[b->region])
        bv.size[b->region] = (uint64_t)size;
    return SQLITE_OK;
}

static int f_sync(sqlite3_file *f, int flags)
{
    (void)f, (void)flags;
    return bv.dev->flush(bv.dev) < 0 ? SQLITE_IOERR_FSYNC : SQLITE_OK;
}

static int f_size(sqlite3_file *f, sqlite3_int64 *out)
{
    *out = (sqlite3_int64)bv.size[((struct bfile *)f)->region];
    return SQLITE_OK;
}

static int f_lock(sqlite3_file *f, int level)
{
    (void)f, (void)level;
    return SQLITE_OK;
}

static int f_reserved(sqlite3_file *f, int *out)
{
    (void)f;
    *out = 0;
    return SQLITE_OK;
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
    (void)f, (void)op, (void)arg;
    return SQLITE_NOTFOUND;
}

static int f_sector(sqlite3_file *f)
{
    (void)f;
    return (int)bv.dev->sector_size;
}

static int f_caps(sqlite3_file *f)
{
    (void)f;
    /* A sector write never harms its neighbours (virtio-blk writes whole
     * sectors); nothing more is promised: no atomic or ordered writes. */
    return SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

/* Version 1: no shared memory (EXCLUSIVE locking), no mmap. */
static const sqlite3_io_methods io = {
    .iVersion = 1, .xClose = f_close, .xRead = f_read, .xWrite = f_write, .xTruncate = f_truncate,
    .xSync = f_sync, .xFileSize = f_size, .xLock = f_lock, .xUnlock = f_lock,
    .xCheckReservedLock = f_reserved, .xFileControl = f_control, .xSectorSize = f_sector,
    .xDeviceCharacteristics = f_caps,
};

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)v;
    struct bfile *b = (struct bfile *)f;
    int r = region_of(name);
    f->pMethods = NULL;
    if (r < 0)
        return SQLITE_CANTOPEN;
    b->region = r;
    f->pMethods = &io;
    if (out)
        *out = bv.dev->read_only ? (flags & ~SQLITE_OPEN_READWRITE) | SQLITE_OPEN_READONLY : flags;
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    (void)v;
    int r = region_of(name);
    if (r < 0 || r == LAYOUT_DB)
        return SQLITE_IOERR_DELETE;
    bv.size[r] = 0;
    if (clear_header(r) < 0)
        return SQLITE_IOERR_DELETE;
    /* In DELETE journal mode this is the commit: make it durable. */
    if (sync_dir && bv.dev->flush(bv.dev) < 0)
        return SQLITE_IOERR_DIR_FSYNC;
    return SQLITE_OK;
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *res)
{
    (void)v, (void)flags;
    int r = region_of(name);
    *res = r >= 0 && bv.size[r] > 0;
    return SQLITE_OK;
}

static int v_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    size_t len = strlen(name);
    if ((int)len >= n)
        return SQLITE_CANTOPEN;
    memcpy(out, name, len + 1);
    return SQLITE_OK;
}

static int v_random(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return bv.base->xRandomness(bv.base, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return bv.base->xSleep(bv.base, us);
}

static int v_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return bv.base->xCurrentTime(bv.base, out);
}

static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return bv.base->xCurrentTimeInt64(bv.base, out);
}

static int v_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    if (n > 0)
        out[0] = 0;
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The lengths the files had when the appliance last wrote them. */
static int load_sizes(void)
{
    static const uint8_t journal_magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };
    uint8_t *s = bv.sector;
    for (int r = 0; r < LAYOUT_REGIONS; r++) {
        if (dev_io(r, 0, s, bv.dev->sector_size, 0) < 0)
            return -1;
        uint64_t len = bv.lay.region[r].len, size = 0;
        if (r == LAYOUT_WAL && (be32(s) & 0xfffffffeu) == 0x377f0682u)
            size = len;
        else if (r == LAYOUT_JOURNAL && memcmp(s, journal_magic, 8) == 0)
            size = len;
        else if (r == LAYOUT_DB && memcmp(s, "SQLite format 3", 16) == 0) {
            uint32_t page = (uint32_t)s[16] << 8 | s[17];
            if (page == 1)
                page = 65536;
            /* The in-header size is valid when its version-valid-for
             * number matches the change counter (SQLite file format 1.3.7);
             * otherwise the whole region, as SQLite then asks the file. */
            size = be32(s + 92) == be32(s + 24) ? (uint64_t)page * be32(s + 28) : len;
            if (size > len)
                size = len;
        }
        bv.size[r] = size;
    }
    return 0;
}

int blkvfs_attach(struct blkdev *dev, struct layout *l, char *why, size_t whylen)
{
    uint64_t bytes = dev->nsectors * dev->sector_size;
    int formatted = 0;
    const char *doing = "reading it";
    if (dev->sector_size < 512 || dev->sector_size > LAYOUT_RESERVED || LAYOUT_RESERVED % dev->sector_size) {
        snprintf(why, whylen, "sectors of %u bytes are not supported", dev->sector_size);
        return -1;
    }
    if (!dev->durable) {
        snprintf(why, whylen, "the disk cannot flush its cache (no VIRTIO_BLK_F_FLUSH), so no write "
                 "could be promised to survive a power cut");
        return -1;
    }
    blkvfs_detach();
    free(bv.sector);
    free(bv.tail);
    memset(&bv, 0, sizeof bv);
    bv.dev = dev;
    bv.sector = malloc(LAYOUT_LABEL_BYTES > dev->sector_size ? LAYOUT_LABEL_BYTES : dev->sector_size);
    bv.tail = malloc(dev->sector_size);
    if (!bv.sector || !bv.tail) {
        snprintf(why, whylen, "no memory");
        return -1;
    }
    if (dev->read(dev, 0, bv.sector, 1) < 0) {
        snprintf(why, whylen, "its first sector cannot be read");
        return -1;
    }
    switch (layout_decode(bv.sector, bytes, &bv.lay, why, whylen)) {
    case LAYOUT_OURS:
        break;
    case LAYOUT_BLANK:
        if (dev->read_only || layout_plan(bytes, &bv.lay) < 0) {
            snprintf(why, whylen, dev->read_only ? "it is blank and read-only"
                                                 : "it is smaller than the 8 MiB a data disk needs");
            return -1;
        }
        /* The regions' first sectors first, then the label, then flush:
         * a label on the disk always means regions with clean headers. */
        doing = "formatting it";
        for (int r = 0; r < LAYOUT_REGIONS; r++)
            if (clear_header(r) < 0)
                goto ioerr;
        layout_encode(&bv.lay, bv.sector);
        if (dev->write(dev, 0, bv.sector, 1) < 0 || dev->flush(dev) < 0)
            goto ioerr;
        formatted = 1;
        doing = "reading it";
        break;
    default:
        return -1;
    }
    if (load_sizes() < 0)
        goto ioerr;
    bv.base = sqlite3_vfs_find(NULL);
    bv.vfs = (sqlite3_vfs){
        .iVersion = 2, .szOsFile = sizeof(struct bfile), .mxPathname = 64, .zName = BLKVFS_NAME,
        .xOpen = v_open, .xDelete = v_delete, .xAccess = v_access, .xFullPathname = v_fullpath,
        .xRandomness = v_random, .xSleep = v_sleep, .xCurrentTime = v_time,
        .xGetLastError = v_last_error, .xCurrentTimeInt64 = v_time64,
    };
    if (!bv.base || sqlite3_vfs_register(&bv.vfs, 0) != SQLITE_OK) {
        snprintf(why, whylen, "SQLite refused the VFS");
        return -1;
    }
    bv.registered = 1;
    *l = bv.lay;
    return formatted;
ioerr:
    snprintf(why, whylen, "an I/O error while %s", doing);
    return -1;
}

void blkvfs_detach(void)
{
    if (bv.registered)
        sqlite3_vfs_unregister(&bv.vfs);
    bv.registered = 0;
}
