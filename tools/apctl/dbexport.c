/* tools/apctl/dbexport.c: `apctl db export DISK OUT`: the database of a
 * data disk image (the appliance stopped) as one plain SQLite file.
 *
 * The disk's label (store/layout.c, the image's own code) says where the
 * regions are. The database region holds a plain SQLite file; commits
 * since the last checkpoint are in the WAL region. Both are copied out
 * beside each other (OUT.tmp and OUT.tmp-wal), SQLite (the image's
 * release, built for the host) checkpoints the WAL into the file and
 * switches it to a rollback journal, checks its integrity, and the result
 * is renamed to OUT. The disk image is only read.
 */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L     /* fseeko, fileno */
#include "tools/apctl/dbexport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sqlite3.h"
#include "store/layout.h"

static int read_at(FILE *f, uint64_t off, void *buf, size_t n)
{
    return fseeko(f, (off_t)off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n ? 0 : -1;
}

/* Copy len bytes at off of f into a new file path. */
static int copy_out(FILE *f, uint64_t off, uint64_t len, const char *path)
{
    FILE *o = fopen(path, "wb");
    static unsigned char buf[1 << 16];
    int rc = o ? 0 : -1;
    while (rc == 0 && len) {
        size_t k = len < sizeof buf ? (size_t)len : sizeof buf;
        rc = read_at(f, off, buf, k) == 0 && fwrite(buf, 1, k, o) == k ? 0 : -1;
        off += k, len -= k;
    }
    if (o && fclose(o) != 0)
        rc = -1;
    return rc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int apctl_db_export(const char *disk, const char *out)
{
    FILE *f = fopen(disk, "rb");
    struct stat sb;
    unsigned char label[LAYOUT_LABEL_BYTES], head[100], walhead[4];
    char why[200], tmp[4096], tmpwal[4112];
    struct layout l;
    if (!f || fstat(fileno(f), &sb) < 0 || read_at(f, 0, label, sizeof label) < 0) {
        fprintf(stderr, "apctl: %s: cannot read it\n", disk);
        if (f)
            fclose(f);
        return APCTL_EXIT_IO;
    }
    switch (layout_decode(label, (uint64_t)sb.st_size, &l, why, sizeof why)) {
    case LAYOUT_OURS:
        break;
    case LAYOUT_BLANK:
        fprintf(stderr, "apctl: %s: a blank disk: the appliance has not used it yet\n", disk);
        fclose(f);
        return APCTL_EXIT_INVALID;
    default:
        fprintf(stderr, "apctl: %s: %s\n", disk, why);
        fclose(f);
        return APCTL_EXIT_INVALID;
    }
    if (read_at(f, l.region[LAYOUT_DB].start, head, sizeof head) < 0 ||
        memcmp(head, "SQLite format 3", 16) != 0) {
        fprintf(stderr, "apctl: %s: the disk holds no database yet\n", disk);
        fclose(f);
        return APCTL_EXIT_INVALID;
    }
    uint32_t page = (uint32_t)head[16] << 8 | head[17];
    if (page == 1)
        page = 65536;
    uint64_t size = be32(head + 92) == be32(head + 24) ? (uint64_t)page * be32(head + 28) : l.region[LAYOUT_DB].len;
    if (size > l.region[LAYOUT_DB].len)
        size = l.region[LAYOUT_DB].len;
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    snprintf(tmpwal, sizeof tmpwal, "%s-wal", tmp);
    remove(tmpwal);
    int wal = read_at(f, l.region[LAYOUT_WAL].start, walhead, 4) == 0 && (be32(walhead) & ~1u) == 0x377f0682u;
    if (copy_out(f, l.region[LAYOUT_DB].start, size, tmp) < 0 ||
        (wal && copy_out(f, l.region[LAYOUT_WAL].start, l.region[LAYOUT_WAL].len, tmpwal) < 0)) {
        fprintf(stderr, "apctl: cannot write %s\n", tmp);
        fclose(f);
        return APCTL_EXIT_IO;
    }
    fclose(f);
    /* The checkpoint: the WAL's commits into the file, then one file. */
    sqlite3 *db = NULL;
    char *err = NULL;
    int rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;", NULL, NULL, &err);
    sqlite3_stmt *st = NULL;
    const char *verdict = "?";
    long long tables = -1;
    if (rc == SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        verdict = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 ? "ok" : "FAILED";
    sqlite3_finalize(st);
    if (rc == SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", -1,
                                              &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        tables = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "apctl: %s: SQLite: %s\n", disk, err ? err : db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_free(err);
        sqlite3_close(db);
        remove(tmp);
        remove(tmpwal);
        return APCTL_EXIT_INVALID;
    }
    sqlite3_close(db);
    if (strcmp(verdict, "ok") != 0) {
        fprintf(stderr, "apctl: %s: the exported database fails SQLite's integrity check (kept as %s)\n",
                disk, tmp);
        return APCTL_EXIT_INVALID;
    }
    if (rename(tmp, out) < 0) {
        fprintf(stderr, "apctl: cannot write %s\n", out);
        return APCTL_EXIT_IO;
    }
    struct stat ob;
    stat(out, &ob);
    printf("%s: %lld tables, %lld bytes, integrity ok%s\n", out, tables, (long long)ob.st_size,
           wal ? " (the WAL's commits checkpointed in)" : "");
    return 0;
}
