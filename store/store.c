/* store/store.c: the database on the data disk (docs/store.md): attach
 * the disk through the block-device VFS, open SQLite in WAL mode with
 * full syncs, apply the blob's migrations, and say whether the data is
 * ready (store.h).
 *
 * Migrations: `_appliance_migrations` records each applied file (number,
 * name, SHA-256, time). At boot every recorded one must still be in the
 * blob with the same checksum (an edited migration is refused: the
 * database was made by the old text), and every new one must come after
 * the last recorded one. New ones run in number order, each in its own
 * transaction with its record; a failure rolls that one back, is logged
 * with SQLite's message, and leaves the store not ready (readiness and
 * data routes answer 503) while the appliance stays up for health checks
 * and diagnosis.
 */
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"
#include "sqlite3.h"
#include "store/blkvfs.h"
#include "store/store_db.h"

static sqlite3 *db;
static int ready, configured;
static char status[256] = "no database configured";

int store_ready(void) { return !configured || ready; }
sqlite3 *store_db(void) { return db; }
static int autocheckpoint = 1000;
int store_autocheckpoint(void) { return autocheckpoint; }
const char *store_status(void) { return status; }

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(status, sizeof status, fmt, ap);
    va_end(ap);
    log_error("store", "%s: not ready (data routes answer 503)", status);
}

static int exec(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
        return 0;
    fail("%s: %s", sql, err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    return -1;
}

static void hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* One migration in its own transaction, with its record. */
static int apply(const struct config_migration *m, const char *sum)
{
    char *sql = malloc(m->len + 1);
    if (!sql) {
        fail("no memory for migration %s", base_name(m->path));
        return -1;
    }
    memcpy(sql, m->sql, m->len);
    sql[m->len] = 0;
    char *err = NULL;
    uint64_t t0 = clock_monotonic_ns();
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    free(sql);
    if (rc != SQLITE_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s", err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        fail("migration %s failed and was rolled back: %s", base_name(m->path), msg);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "INSERT INTO _appliance_migrations(number, name, sha256, applied_at) "
                                "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, (int)m->number);
        sqlite3_bind_text(st, 2, base_name(m->path), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, sum, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK || sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
        fail("migration %s could not be recorded: %s", base_name(m->path), err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    log_info("store", "migration %s applied in %.1fms", base_name(m->path),
             (double)(clock_monotonic_ns() - t0) / 1e6);
    return 0;
}

static int migrate(const struct config_database *cfg, unsigned *applied_before, unsigned *applied_now)
{
    if (exec("CREATE TABLE IF NOT EXISTS _appliance_migrations(number INTEGER PRIMARY KEY, "
             "name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)") < 0)
        return -1;
    char sums[CONFIG_MIGRATIONS_MAX][65];
    for (unsigned i = 0; i < cfg->nmig; i++) {
        uint8_t h[32];
        sha256_digest(cfg->mig[i].sql, cfg->mig[i].len, h);
        hex(h, sums[i]);
    }
    /* What the database says was applied: all still here, unchanged. */
    sqlite3_stmt *st = NULL;
    int last = -1, rc = 0;
    sqlite3_prepare_v2(db, "SELECT number, name, sha256 FROM _appliance_migrations ORDER BY number", -1, &st,
                       NULL);
    *applied_before = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int number = sqlite3_column_int(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *sum = (const char *)sqlite3_column_text(st, 2);
        unsigned i = 0;
        while (i < cfg->nmig && cfg->mig[i].number != (unsigned)number)
            i++;
        if (i == cfg->nmig) {
            log_warn("store", "migration %s was applied but is no longer in the blob", name ? name : "?");
        } else if (!sum || strcmp(sum, sums[i]) != 0) {
            fail("migration %s changed after it was applied (sha256 %.12s..., was %.12s...): the database "
                 "was made by the old text; add a new migration instead", base_name(cfg->mig[i].path),
                 sums[i], sum ? sum : "?");
            rc = -1;
            break;
        }
        last = number;
        (*applied_before)++;
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return -1;
    *applied_now = 0;
    for (unsigned i = 0; i < cfg->nmig; i++) {
        const struct config_migration *m = &cfg->mig[i];
        if ((int)m->number <= last) {
            sqlite3_stmt *q = NULL;
            int known = 0;
            if (sqlite3_prepare_v2(db, "SELECT 1 FROM _appliance_migrations WHERE number = ?", -1, &q, NULL) ==
                SQLITE_OK) {
                sqlite3_bind_int(q, 1, (int)m->number);
                known = sqlite3_step(q) == SQLITE_ROW;
            }
            sqlite3_finalize(q);
            if (!known) {
                fail("migration %s is new but numbered before %d, which was applied already: number new "
                     "migrations after the last one", base_name(m->path), last);
                return -1;
            }
            continue;
        }
        if (apply(m, sums[i]) < 0)
            return -1;
        (*applied_now)++;
    }
    return 0;
}

int store_open(const struct config *c, struct blkdev *disk)
{
    const struct config_database *cfg = &c->database;
    configured = cfg->enabled;
    if (!configured)
        return 0;
    if (!disk) {
        fail("no virtio-blk disk vd%c for the database", 'a' + cfg->disk);
        return -1;
    }
    struct layout lay;
    char why[200];
    int formatted = blkvfs_attach(disk, &lay, why, sizeof why);
    if (formatted < 0) {
        fail("disk %s (vd%c) is not used: %s; it was not written to", disk->name, 'a' + cfg->disk, why);
        return -1;
    }
    log_info("store", "%s %s: %llu MiB for the database, %llu MiB WAL (docs/store.md)",
             formatted ? "formatted the blank disk" : "opened the data disk", disk->name,
             (unsigned long long)(lay.region[LAYOUT_DB].len >> 20),
             (unsigned long long)(lay.region[LAYOUT_WAL].len >> 20));
    if (sqlite3_open_v2(BLKVFS_DB, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, BLKVFS_NAME) != SQLITE_OK) {
        fail("cannot open the database: %s", db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        db = NULL;
        return -1;
    }
    sqlite3_extended_result_codes(db, 1);
    /* The memory budget: past it an allocation fails and the statement
     * answers SQLITE_NOMEM (a 503), the rest of the heap untouched. */
    sqlite3_hard_heap_limit64((sqlite3_int64)cfg->memory_bytes);
    /* EXCLUSIVE before WAL: then WAL needs no shared memory. FULL: a
     * commit returns once its WAL frames are flushed to the disk. */
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
             "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-%llu;",
             (unsigned long long)(cfg->cache_bytes / 1024));
    if (exec(pragmas) < 0)
        return -1;
    unsigned before = 0, now = 0;
    if (migrate(cfg, &before, &now) < 0)
        return -1;
    /* Idempotency keys of sql routes (docs/store.md): the first response
     * to a POST with its key, replayed while it is fresh. */
    if (exec("CREATE TABLE IF NOT EXISTS _appliance_idempotency(key TEXT NOT NULL, route TEXT NOT NULL, "
             "body_sha256 BLOB NOT NULL, status INTEGER NOT NULL, location TEXT, response BLOB, "
             "created_at INTEGER NOT NULL, PRIMARY KEY(key, route)) WITHOUT ROWID; "
             "CREATE INDEX IF NOT EXISTS _appliance_idempotency_created ON _appliance_idempotency(created_at)") < 0)
        return -1;
    /* Sessions and the audit trail of the auth section (docs/auth.md):
     * sessions by the SHA-256 of their id (never the id itself). */
    if (c->auth.enabled &&
        exec("CREATE TABLE IF NOT EXISTS _appliance_sessions(id_hash BLOB PRIMARY KEY, user_id INTEGER NOT NULL, "
             "role TEXT, csrf TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID; "
             "CREATE INDEX IF NOT EXISTS _appliance_sessions_expires ON _appliance_sessions(expires); "
             "CREATE TABLE IF NOT EXISTS _appliance_audit(id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
             "event TEXT NOT NULL, user TEXT, scheme TEXT, addr TEXT, method TEXT, path TEXT, detail TEXT)") < 0)
        return -1;
    store_query_init(db, cfg->statement_timeout_ms);
    /* Checkpoint when the WAL is half its region: SQLite's default of
     * 1000 pages (4 MiB) would overflow the 1-4 MiB WAL of a small disk
     * and fail writes with SQLITE_FULL. */
    int page = 4096;
    sqlite3_stmt *ps = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK && sqlite3_step(ps) == SQLITE_ROW)
        page = sqlite3_column_int(ps, 0);
    sqlite3_finalize(ps);
    uint64_t frames = lay.region[LAYOUT_WAL].len / ((uint64_t)page + 24);
    autocheckpoint = frames / 2 < 1000 ? (int)(frames / 2) : 1000;
    sqlite3_wal_autocheckpoint(db, autocheckpoint);
    snprintf(status, sizeof status, "ready: %u migration%s (%u new this boot)", before + now,
             before + now == 1 ? "" : "s", now);
    log_info("store", "%s", status);
    ready = 1;
    return 0;
}

void store_close(void)
{
    if (!db)
        return;
    /* A checkpoint into the database file, so the disk alone (without
     * its WAL) holds everything, then the close. */
    store_query_reset();
    int rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    rc |= sqlite3_close(db);
    db = NULL;
    ready = 0;
    blkvfs_detach();
    if (rc == SQLITE_OK)
        log_info("store", "closed cleanly: the WAL is checkpointed into the database");
    else
        log_warn("store", "closed with SQLite status %d (the WAL recovers it at the next boot)", rc);
}
