/* tests/unit/test_blkvfs.c: the SQLite VFS over a block device
 * (store/blkvfs.c) and the data disk's label (store/layout.c), on a
 * memory disk that logs every write and flush, with the same SQLite
 * release as the image (built for the host).
 *
 * The crash test: a workload of acknowledged transactions (WAL mode,
 * synchronous=FULL, exclusive locking, checkpoints along the way) runs
 * once and its write log is kept. Then, for every prefix of that log (a
 * power cut after any write), the disk as it would be is recovered through
 * the VFS: PRAGMA integrity_check must say ok, every transaction whose
 * commit had returned before the cut must be there, and nothing that was
 * never written. */
#include <stdlib.h>
#include <string.h>

#include "sqlite3.h"
#include "store/blkvfs.h"
#include "store/layout.h"
#include "tests/unit/check.h"

#define SS 512u
#define DISK (8u << 20)

struct wlog { uint64_t lba; uint32_t n; uint8_t *data; };    /* n == 0: a flush */

struct memdisk {
    struct blkdev dev;
    uint8_t *data;
    struct wlog *log;
    size_t nlog, cap;
    int logging, fail_reads, fail_writes;
    unsigned reads;
};

static int md_read(struct blkdev *b, uint64_t lba, void *buf, uint32_t n)
{
    struct memdisk *m = b->priv;
    if (lba + n > b->nsectors)
        return -34;
    if (m->fail_reads)
        return -5;
    m->reads++;
    memcpy(buf, m->data + lba * SS, (size_t)n * SS);
    return 0;
}

static void logit(struct memdisk *m, uint64_t lba, const void *buf, uint32_t n)
{
    if (!m->logging)
        return;
    if (m->nlog == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->log = realloc(m->log, m->cap * sizeof *m->log);
    }
    struct wlog *w = &m->log[m->nlog++];
    w->lba = lba;
    w->n = n;
    w->data = n ? malloc((size_t)n * SS) : NULL;
    if (n)
        memcpy(w->data, buf, (size_t)n * SS);
}

static int md_write(struct blkdev *b, uint64_t lba, const void *buf, uint32_t n)
{
    struct memdisk *m = b->priv;
    if (lba + n > b->nsectors)
        return -34;
    if (m->fail_writes)
        return -5;
    memcpy(m->data + lba * SS, buf, (size_t)n * SS);
    logit(m, lba, buf, n);
    return 0;
}

static int md_flush(struct blkdev *b)
{
    logit(b->priv, 0, NULL, 0);
    return 0;
}

static void md_init(struct memdisk *m, size_t bytes)
{
    memset(m, 0, sizeof *m);
    m->data = calloc(1, bytes);
    m->dev = (struct blkdev){ .name = "mem", .nsectors = bytes / SS, .sector_size = SS, .durable = 1,
                              .read = md_read, .write = md_write, .flush = md_flush, .priv = m };
}

static void md_free(struct memdisk *m)
{
    for (size_t i = 0; i < m->nlog; i++)
        free(m->log[i].data);
    free(m->log);
    free(m->data);
}

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(BLKVFS_DB, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, BLKVFS_NAME);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "open: %s\n", db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return NULL;
    }
    char *err = NULL;
    rc = sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "PRAGMA wal_autocheckpoint=16;", NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "pragmas: %s\n", err);
        sqlite3_free(err);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static long long scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int integrity_ok(sqlite3 *db)
{
    sqlite3_stmt *st;
    int ok = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    return ok;
}

static void test_label(void)
{
    struct layout l, back;
    char why[160];
    uint8_t label[LAYOUT_LABEL_BYTES];
    CHECK_I64(layout_plan(LAYOUT_MIN_DISK - 1, &l), -1);
    CHECK_I64(layout_plan(1ull << 30, &l), 0);
    CHECK_U64(l.region[LAYOUT_WAL].start, 1u << 20);
    CHECK_U64(l.region[LAYOUT_WAL].len, 127u << 20);         /* 1/8 of 1023 MiB, whole MiB */
    CHECK_U64(l.region[LAYOUT_DB].start + l.region[LAYOUT_DB].len, 1ull << 30);
    layout_encode(&l, label);
    CHECK_I64(layout_decode(label, 1ull << 30, &back, why, sizeof why), LAYOUT_OURS);
    CHECK(memcmp(&l, &back, sizeof l) == 0);
    /* A smaller disk than the label says: damaged, not trusted. */
    CHECK_I64(layout_decode(label, 512ull << 20, &back, why, sizeof why), LAYOUT_DAMAGED);
    label[40] ^= 1;
    CHECK_I64(layout_decode(label, 1ull << 30, &back, why, sizeof why), LAYOUT_DAMAGED);
    CHECK(strstr(why, "checksum") != NULL);
    memset(label, 0, sizeof label);
    CHECK_I64(layout_decode(label, 1ull << 30, &back, why, sizeof why), LAYOUT_BLANK);
    memcpy(label, "\x7f" "ELF", 4);
    CHECK_I64(layout_decode(label, 1ull << 30, &back, why, sizeof why), LAYOUT_FOREIGN);
    CHECK(strstr(why, "7f 45 4c 46") != NULL);
    CHECK_U64(layout_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);   /* the check value */
}

/* A disk with other data is refused and left as it was; a blank one is
 * formatted; a non-flushing one is refused. */
static void test_attach(void)
{
    struct memdisk m;
    struct layout l;
    char why[200];
    md_init(&m, DISK);
    memcpy(m.data, "MBR!", 4);
    m.data[SS * 5] = 1;
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), -1);
    CHECK(strstr(why, "other data") != NULL);
    CHECK(memcmp(m.data, "MBR!", 4) == 0 && m.data[SS * 5] == 1);
    memset(m.data, 0, DISK);
    m.dev.durable = 0;
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), -1);
    CHECK(strstr(why, "flush") != NULL);
    m.dev.durable = 1;
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 1);
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 0);      /* ours now */
    CHECK(l.region[LAYOUT_DB].len > 0);
    /* A plain database file from the region's first byte. */
    sqlite3 *db = open_db();
    CHECK(db != NULL);
    CHECK_I64(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (42); PRAGMA wal_checkpoint(TRUNCATE);",
                           NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    CHECK(memcmp(m.data + l.region[LAYOUT_DB].start, "SQLite format 3", 16) == 0);
    /* Device errors are I/O errors, never corruption. */
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 0);
    db = open_db();
    CHECK(db != NULL);
    m.fail_writes = 1;
    int rc = sqlite3_exec(db, "INSERT INTO t VALUES (43)", NULL, NULL, NULL);
    CHECK((rc & 0xff) == SQLITE_IOERR);
    m.fail_writes = 0;
    sqlite3_close(db);
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 0);
    db = open_db();
    CHECK(db != NULL);
    CHECK_I64(scalar(db, "SELECT count(*) FROM t"), 1);
    CHECK(integrity_ok(db));
    /* Full: the region's end is SQLITE_FULL, and the database stays sound. */
    rc = sqlite3_exec(db, "CREATE TABLE big(b); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                          "FROM c WHERE i < 400) INSERT INTO big SELECT zeroblob(65536) FROM c",
                      NULL, NULL, NULL);
    CHECK_I64(rc, SQLITE_FULL);
    CHECK(integrity_ok(db));
    CHECK_I64(scalar(db, "SELECT count(*) FROM t"), 1);
    sqlite3_close(db);
    blkvfs_detach();
    md_free(&m);
}

/* The workload: TX transactions of a few rows each, some with a large
 * value (several pages), checkpoints every 16 WAL pages. commit_at[i] is
 * the write-log length when transaction i's commit returned. */
#define TX 40

static void workload(struct memdisk *m, size_t *commit_at)
{
    struct layout l;
    char why[200];
    CHECK_I64(blkvfs_attach(&m->dev, &l, why, sizeof why), 0);
    sqlite3 *db = open_db();
    CHECK(db != NULL);
    for (int i = 0; i < TX; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "BEGIN; INSERT INTO t(tx, v) VALUES (%d, randomblob(%d)); "
                 "INSERT INTO t(tx, v) VALUES (%d, 'small'); UPDATE n SET c = c + 1; COMMIT;",
                 i, i % 5 == 0 ? 9000 : 100, i);
        CHECK_I64(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        commit_at[i] = m->nlog;
    }
    sqlite3_close(db);
    blkvfs_detach();
}

/* Recover img through the VFS and check it against the workload: cut is
 * the log position of the power cut (transactions acknowledged before it
 * must be there). 1 when sound. */
static int check_image(struct memdisk *scratch, const uint8_t *img, const size_t *commit_at, size_t cut,
                       const char *what)
{
    struct layout l;
    char why[200];
    memcpy(scratch->data, img, DISK);
    int acked = 0;
    while (acked < TX && commit_at[acked] <= cut)
        acked++;
    if (blkvfs_attach(&scratch->dev, &l, why, sizeof why) != 0) {
        fprintf(stderr, "%s %zu: attach: %s\n", what, cut, why);
        return 0;
    }
    sqlite3 *db = open_db();
    long long txs = db ? scalar(db, "SELECT count(DISTINCT tx) FROM t") : -1;
    long long rows = db ? scalar(db, "SELECT count(*) FROM t") : -1;
    long long c = db ? scalar(db, "SELECT c FROM n") : -1;
    int ok = db && integrity_ok(db);
    /* Whole transactions only, every acknowledged one, none never run. */
    int sound = ok && txs >= acked && txs <= TX && rows == 2 * txs && c == txs &&
                (txs == 0 || scalar(db, "SELECT max(tx) FROM t") == txs - 1);
    if (!sound)
        fprintf(stderr, "%s %zu: integrity %s, %lld transactions (%d acknowledged), %lld rows, counter %lld\n",
                what, cut, ok ? "ok" : "FAILED", txs, acked, rows, c);
    sqlite3_close(db);
    blkvfs_detach();
    return sound;
}

static void apply(uint8_t *img, const struct wlog *w)
{
    memcpy(img + w->lba * SS, w->data, (size_t)w->n * SS);
}

static void test_crash_every_prefix(void)
{
    struct memdisk m, scratch;
    struct layout l;
    char why[200];
    md_init(&m, DISK);
    /* The schema, before logging starts. */
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 1);
    sqlite3 *db = open_db();
    CHECK(db != NULL);
    CHECK_I64(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, tx INTEGER, v); CREATE TABLE n(c); "
                               "INSERT INTO n VALUES (0);", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    blkvfs_detach();
    uint8_t *base = malloc(DISK);
    memcpy(base, m.data, DISK);
    static size_t commit_at[TX];
    m.logging = 1;
    workload(&m, commit_at);
    m.logging = 0;
    size_t writes = 0, flushes = 0;
    for (size_t i = 0; i < m.nlog; i++)
        m.log[i].n ? writes++ : flushes++;
    printf("test_blkvfs: %d transactions made %zu writes and %zu flushes; recovering after each\n", TX,
           writes, flushes);
    md_init(&scratch, DISK);
    uint8_t *img = malloc(DISK), *epoch = malloc(DISK), *mixed = malloc(DISK);
    int bad = 0;
    size_t epoch_start = 0;                     /* the log position after the last flush */
    memcpy(img, base, DISK);
    memcpy(epoch, base, DISK);
    for (size_t cut = 0; cut <= m.nlog; cut++) {
        if (cut > 0 && !m.log[cut - 1].n) {     /* a flush: what came before is on the platter */
            memcpy(epoch, img, DISK);
            epoch_start = cut;
            continue;
        }
        if (cut > 0)
            apply(img, &m.log[cut - 1]);
        /* A power cut after write cut-1, every write kept... */
        bad += !check_image(&scratch, img, commit_at, cut, "prefix");
        /* ... and one where the device cache kept only the newest writes
         * since the last flush (it may reorder them): a write is durable
         * only once a flush has returned. */
        if (cut > epoch_start + 1) {
            memcpy(mixed, epoch, DISK);
            for (size_t k = epoch_start + (cut - epoch_start) / 2; k < cut; k++)
                apply(mixed, &m.log[k]);
            bad += !check_image(&scratch, mixed, commit_at, cut, "reordered");
        }
    }
    CHECK_I64(bad, 0);
    free(mixed);
    free(epoch);
    free(img);
    free(base);
    md_free(&scratch);
    md_free(&m);
}

/* Appending to the WAL (frames of a page + 24 bytes, so never
 * sector-aligned) does not read back the sector the last frame ended in:
 * the VFS keeps it. A small commit then reads the device once (the
 * sector its last frame ends in, new to it) instead of three times, and the
 * data stays right (the crash test above checks every write prefix). */
static void test_wal_appends_do_not_read_back(void)
{
    struct memdisk m;
    struct layout l;
    char why[200];
    md_init(&m, DISK);
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 1);
    sqlite3 *db = open_db();
    CHECK(db != NULL);
    CHECK_I64(sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x);", NULL, NULL, NULL), SQLITE_OK);
    unsigned before = m.reads;
    for (int i = 0; i < 20; i++)
        CHECK_I64(sqlite3_exec(db, "INSERT INTO t VALUES (randomblob(100))", NULL, NULL, NULL), SQLITE_OK);
    CHECK(m.reads - before <= 25);          /* one a commit: the new last sector (it was 3) */
    CHECK_I64(scalar(db, "SELECT count(*) FROM t"), 20);
    sqlite3_close(db);
    CHECK_I64(blkvfs_attach(&m.dev, &l, why, sizeof why), 0);
    db = open_db();
    CHECK(db != NULL && integrity_ok(db));
    CHECK_I64(scalar(db, "SELECT count(*) FROM t"), 20);
    sqlite3_close(db);
    md_free(&m);
}

/* The appliance's boot image (GPT with an "appliance-esp" partition) is
 * told apart from data disks; other GPT disks and blank ones are not it. */
static void test_boot_image_detection(void)
{
    static uint8_t g[2 * SS];
    memset(g, 0, sizeof g);
    memcpy(g, "EFI PART", 8);
    uint64_t lba = 2;
    uint32_t count = 128, esize = 128;
    memcpy(g + 72, &lba, 8);
    memcpy(g + 80, &count, 4);
    memcpy(g + 84, &esize, 4);
    const char *names[2] = { "bios-boot", "appliance-esp" };
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; names[i][k]; k++)
            g[SS + 128 * i + 56 + 2 * k] = (uint8_t)names[i][k];
    CHECK(layout_is_boot_image(g, sizeof g, SS) == 1);
    g[SS + 128 + 56 + 2 * 12] = 'X';            /* "appliance-esX" */
    CHECK(layout_is_boot_image(g, sizeof g, SS) == 0);
    g[SS + 128 + 56 + 2 * 12] = 'p';
    g[SS + 128 + 56 + 2 * 13] = 's';            /* "appliance-esps": a longer name */
    CHECK(layout_is_boot_image(g, sizeof g, SS) == 0);
    g[SS + 128 + 56 + 2 * 13] = 0;
    CHECK(layout_is_boot_image(g, SS, SS) == 0);            /* too short to hold entries */
    memcpy(g, "EFI PARX", 8);
    CHECK(layout_is_boot_image(g, sizeof g, SS) == 0);
    memset(g, 0, sizeof g);
    CHECK(layout_is_boot_image(g, sizeof g, SS) == 0);
}

int main(void)
{
    test_boot_image_detection();
    test_wal_appends_do_not_read_back();
    test_label();
    test_attach();
    test_crash_every_prefix();
    sqlite3_shutdown();
    return check_done("test_blkvfs");
}
