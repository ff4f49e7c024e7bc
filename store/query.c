/* store/query.c: statements for app/'s sql routes (store.h, "Queries").
 *
 * Prepared statements are cached by their text (QUERY_CACHE entries, the
 * least recently used one finalized for a new one): a route's statements
 * are prepared once, and the few shapes of a list route's paging SQL too.
 * Values are bound by name, never spliced into the text.
 *
 * The time budget: SQLite calls the progress handler every
 * QUERY_PROGRESS_OPS virtual-machine steps; past the statement's deadline
 * it answers nonzero, SQLite stops the statement with SQLITE_INTERRUPT
 * and the transaction is rolled back. The event loop is single-threaded:
 * this is what keeps one slow query from stalling every connection.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"
#include "store/store.h"
#include "store/store_db.h"

#define QUERY_CACHE 64
#define QUERY_PROGRESS_OPS 1000

struct cached {
    char *sql;
    uint64_t hash, used;
    sqlite3_stmt *st;
};

static struct cached cache[QUERY_CACHE];
static uint64_t tick, n_prepared, n_cached;
static uint64_t deadline_ns, budget_ns;
static int in_txn;
static char errmsg[256];

static int progress(void *arg)
{
    (void)arg;
    return clock_monotonic_ns() > deadline_ns;
}

void store_query_init(sqlite3 *db, uint32_t budget_ms)
{
    budget_ns = (uint64_t)budget_ms * 1000000u;
    sqlite3_progress_handler(db, QUERY_PROGRESS_OPS, progress, NULL);
}

void store_query_reset(void)
{
    for (int i = 0; i < QUERY_CACHE; i++) {
        sqlite3_finalize(cache[i].st);
        free(cache[i].sql);
        cache[i] = (struct cached){ 0 };
    }
    in_txn = 0;
}

void store_query_stats(uint64_t *prepared, uint64_t *cached)
{
    *prepared = n_prepared;
    *cached = n_cached;
}

const char *store_errmsg(void) { return errmsg; }

void store_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* SQLite's result code as a class for the HTTP status (store.h). */
static enum store_err classify(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE: case SQLITE_CONSTRAINT_PRIMARYKEY: case SQLITE_CONSTRAINT_ROWID:
        return STORE_E_UNIQUE;
    default: break;
    }
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return STORE_E_CONSTRAINT;
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM: return STORE_E_BUSY;
    case SQLITE_INTERRUPT: return STORE_E_TIMEOUT;
    case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CORRUPT: case SQLITE_NOTADB: case SQLITE_CANTOPEN:
        return STORE_E_IO;
    default: return STORE_E_SQL;
    }
}

static enum store_err failed(sqlite3 *db, int rc, const char *sql)
{
    snprintf(errmsg, sizeof errmsg, "%s (SQLite %d) in: %.120s", sqlite3_errmsg(db), rc, sql);
    return classify(rc);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, int *rc)
{
    uint64_t h = fnv(sql);
    int victim = 0;
    for (int i = 0; i < QUERY_CACHE; i++) {
        if (cache[i].st && cache[i].hash == h && strcmp(cache[i].sql, sql) == 0) {
            cache[i].used = ++tick;
            n_cached++;
            return cache[i].st;
        }
        if (cache[i].used < cache[victim].used)
            victim = i;
    }
    sqlite3_stmt *st = NULL;
    *rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    size_t len = strlen(sql) + 1;
    char *copy = malloc(len);
    if (copy)
        memcpy(copy, sql, len);
    if (!copy) {
        sqlite3_finalize(st);
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    struct cached *c = &cache[victim];
    sqlite3_finalize(c->st);
    free(c->sql);
    *c = (struct cached){ copy, h, ++tick, st };
    n_prepared++;
    return st;
}

static int bind(sqlite3_stmt *st, const struct store_bind *b, unsigned nb)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int k = 1; k <= n; k++) {
        const char *name = sqlite3_bind_parameter_name(st, k);
        const struct store_value *v = NULL;
        for (unsigned i = 0; name && i < nb; i++)
            if (strcmp(b[i].name, name + 1) == 0)
                v = &b[i].v;
        int rc = SQLITE_OK;
        if (!v || v->type == STORE_NULL)
            rc = sqlite3_bind_null(st, k);
        else if (v->type == STORE_INT)
            rc = sqlite3_bind_int64(st, k, v->i);
        else if (v->type == STORE_REAL)
            rc = sqlite3_bind_double(st, k, v->d);
        else if (v->type == STORE_TEXT)
            rc = sqlite3_bind_text64(st, k, v->p, v->len, SQLITE_STATIC, SQLITE_UTF8);
        else
            rc = sqlite3_bind_blob64(st, k, v->p, v->len, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

#define COLS_MAX 64

enum store_err store_exec(const char *sql, const struct store_bind *b, unsigned nb, store_row_fn fn,
                          void *arg, struct store_info *info)
{
    sqlite3 *db = store_db();
    struct store_info dummy;
    if (!info)
        info = &dummy;
    *info = (struct store_info){ 0 };
    if (!db || !store_ready()) {
        snprintf(errmsg, sizeof errmsg, "the database is not ready: %s", store_status());
        return STORE_E_NOT_READY;
    }
    int rc = SQLITE_OK;
    sqlite3_stmt *st = prepare(db, sql, &rc);
    if (!st)
        return failed(db, rc, sql);
    rc = bind(st, b, nb);
    if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(st);
        return failed(db, rc, sql);
    }
    unsigned ncol = (unsigned)sqlite3_column_count(st);
    info->columns = ncol;
    if (ncol > COLS_MAX)
        ncol = COLS_MAX;
    const char *names[COLS_MAX];
    struct store_value cols[COLS_MAX];
    for (unsigned i = 0; i < ncol; i++)
        names[i] = sqlite3_column_name(st, (int)i);
    deadline_ns = clock_monotonic_ns() + budget_ns;
    enum store_err e = STORE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (unsigned i = 0; i < ncol; i++) {
            struct store_value *v = &cols[i];
            *v = (struct store_value){ 0 };
            switch (sqlite3_column_type(st, (int)i)) {
            case SQLITE_INTEGER: v->type = STORE_INT; v->i = sqlite3_column_int64(st, (int)i); break;
            case SQLITE_FLOAT: v->type = STORE_REAL; v->d = sqlite3_column_double(st, (int)i); break;
            case SQLITE_TEXT:
                v->type = STORE_TEXT;
                v->p = (const char *)sqlite3_column_text(st, (int)i);
                v->len = (size_t)sqlite3_column_bytes(st, (int)i);
                break;
            case SQLITE_BLOB:
                v->type = STORE_BLOB;
                v->p = sqlite3_column_blob(st, (int)i);
                v->len = (size_t)sqlite3_column_bytes(st, (int)i);
                break;
            default: v->type = STORE_NULL; break;
            }
        }
        info->rows++;
        if (fn && fn(arg, ncol, names, cols)) {
            snprintf(errmsg, sizeof errmsg, "stopped by its reader after %llu rows",
                     (unsigned long long)info->rows);
            e = STORE_E_ABORT;
            break;
        }
    }
    if (e == STORE_OK && rc != SQLITE_DONE)
        e = failed(db, sqlite3_extended_errcode(db), sql);
    info->changes = sqlite3_changes64(db);
    info->rowid = sqlite3_last_insert_rowid(db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

enum store_err store_begin(void)
{
    if (in_txn)
        store_rollback();
    enum store_err e = store_exec("BEGIN IMMEDIATE", NULL, 0, NULL, NULL, NULL);
    in_txn = e == STORE_OK;
    return e;
}

enum store_err store_commit(void)
{
    enum store_err e = store_exec("COMMIT", NULL, 0, NULL, NULL, NULL);
    if (e != STORE_OK)
        store_rollback();
    in_txn = 0;
    return e;
}

void store_rollback(void)
{
    sqlite3 *db = store_db();
    in_txn = 0;
    /* After some errors SQLite has rolled back already: only then is
     * there no transaction to end. */
    if (db && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}
