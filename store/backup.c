/* store/backup.c: the online backup's snapshot (store.h, "Online
 * backup"; docs/store.md "Backup").
 *
 * In WAL mode SQLite writes the database file only when it checkpoints.
 * So: checkpoint everything into the file (TRUNCATE: the WAL is then
 * empty), turn automatic checkpoints off, and the file is a complete,
 * consistent database that nothing writes until the backup ends; commits
 * meanwhile go to the WAL as usual, and the backup streams the file
 * straight off the disk in pieces, however long the client takes, with
 * no copy in memory. Checkpoints resume at the end.
 *
 * The cost of a long backup: the WAL grows while it runs, bounded by its
 * region (docs/store.md, "On the disk"); a write that would overflow it
 * fails with SQLITE_FULL, a 503, until the backup ends and the next
 * commit's checkpoint empties it. The send timeout bounds a stalled
 * client.
 */
#include <string.h>
#include "kernel/kernel.h"
#include "store/blkvfs.h"
#include "store/store.h"
#include "store/store_db.h"

static int running;
static uint64_t snapshot_size;

int64_t store_backup_begin(void)
{
    sqlite3 *db = store_db();
    if (!db || !store_ready()) {
        store_set_error("the database is not ready: %s", store_status());
        return -1;
    }
    if (running) {
        store_set_error("a backup is running already (one at a time)");
        return -1;
    }
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc != SQLITE_OK) {
        store_set_error("checkpoint before the backup failed: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int64_t size = -1;
    if (sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (size <= 0) {
        store_set_error("cannot size the database: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_wal_autocheckpoint(db, 0);
    running = 1;
    snapshot_size = (uint64_t)size;
    log_info("store", "backup: snapshot of %llu KiB, checkpoints paused", (unsigned long long)(size >> 10));
    return size;
}

int store_backup_read(uint64_t off, void *buf, size_t n)
{
    if (!running || off > snapshot_size || n > snapshot_size - off)
        return -1;
    return blkvfs_read_db(off, buf, n);
}

void store_backup_end(void)
{
    if (!running)
        return;
    running = 0;
    sqlite3 *db = store_db();
    if (db)
        sqlite3_wal_autocheckpoint(db, store_autocheckpoint());
    log_info("store", "backup: done, checkpoints resumed");
}
