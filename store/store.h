/* store/store.h: the store layer's public interface: SQLite on the data
 * disk (docs/store.md). Event-loop context only.
 *
 *   store_open(c, disk)  with a database section: attach disk (format it
 *                        when blank, refuse it when it holds anything
 *                        else), open the database and apply the blob's
 *                        migrations. 0 ready, -1 not ready (logged; the
 *                        appliance stays up). Without one: 0.
 *   store_ready()        1 when the data routes may run (also without a
 *                        database section), 0 after a failure above.
 *   store_status()       one line: "ready: ...", or what went wrong.
 *   store_close()        checkpoint the WAL into the database and close.
 *
 * Queries (store/query.c), for app/'s sql routes: store_begin opens a
 * transaction, store_exec runs one statement with named values bound
 * (prepared statements only, cached by text; values are never spliced
 * into SQL) and hands its rows to a callback, store_commit or
 * store_rollback ends it. Each statement has the database section's
 * time budget (a progress handler interrupts it past that); SQLite's
 * heap has the section's memory budget. Failures come back as a class
 * (enum store_err) for the HTTP status and a message for the log.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

struct config;
struct blkdev;

/* "SQLite 3.46.1" (static storage). */
const char *store_version(void);
/* An in-memory database: create, insert, aggregate with a double, compare;
 * logs the result. 0 ok, -1 failed. */
int store_selftest(void);

int store_open(const struct config *c, struct blkdev *disk);
int store_ready(void);
const char *store_status(void);
void store_close(void);

#include <stddef.h>
#include <stdint.h>

enum store_type { STORE_NULL, STORE_INT, STORE_REAL, STORE_TEXT, STORE_BLOB };
struct store_value {
    enum store_type type;
    int64_t i;
    double d;
    const char *p;                  /* text (UTF-8) or blob bytes */
    size_t len;
};
/* A value for the statement's :name (name without the colon). */
struct store_bind {
    const char *name;
    struct store_value v;
};

enum store_err {
    STORE_OK = 0,
    STORE_E_NOT_READY,              /* no database, or it failed to open/migrate */
    STORE_E_UNIQUE,                 /* UNIQUE or PRIMARY KEY constraint */
    STORE_E_CONSTRAINT,             /* CHECK, NOT NULL, FOREIGN KEY, ... */
    STORE_E_BUSY,                   /* busy, locked, or out of its memory budget */
    STORE_E_TIMEOUT,                /* over the statement time budget */
    STORE_E_IO,                     /* the disk failed (I/O error, full, corrupt) */
    STORE_E_SQL,                    /* anything else: a bug in the route's SQL */
    STORE_E_ABORT,                  /* the row callback stopped it */
};

/* Rows of a statement: ncol columns with their names. Return 0 to go on,
 * nonzero to stop (store_exec then answers STORE_E_ABORT). */
typedef int (*store_row_fn)(void *arg, unsigned ncol, const char *const *names,
                            const struct store_value *cols);
struct store_info {
    unsigned columns;               /* the statement's result columns */
    uint64_t rows;                  /* rows handed to the callback */
    int64_t changes, rowid;         /* sqlite3_changes, last_insert_rowid */
};

enum store_err store_begin(void);
enum store_err store_exec(const char *sql, const struct store_bind *b, unsigned nb, store_row_fn fn,
                          void *arg, struct store_info *info);
enum store_err store_commit(void);
void store_rollback(void);
/* The last failure, for the log (never sent to clients). */
const char *store_errmsg(void);
/* Online backup (store/backup.c, docs/store.md "Backup"): a consistent
 * snapshot of the database file streamed while the appliance serves.
 * store_backup_begin checkpoints the WAL into the database file and
 * pauses checkpoints: the file then stays exactly as it is (new commits
 * go to the WAL only) until store_backup_end. Its size in bytes, or -1
 * (store_errmsg says why: not ready, a backup already running, the
 * checkpoint failed). store_backup_read copies bytes of the snapshot:
 * 0 or -1 on a disk error. One backup at a time. */
int64_t store_backup_begin(void);
int store_backup_read(uint64_t off, void *buf, size_t n);
void store_backup_end(void);
/* Statements prepared and served from the cache, for the console. */
void store_query_stats(uint64_t *prepared, uint64_t *cached);

#endif
