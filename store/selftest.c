/* store/selftest.c: boot self-test of SQLite (see store.h). */
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include "kernel/kernel.h"
#include "sqlite3.h"

const char *store_version(void)
{
    return "SQLite " SQLITE_VERSION;
}

int store_selftest(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    char *err = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        log_error("selftest", "sqlite open :memory: failed: %s", db ? sqlite3_errmsg(db) : "no memory");
        goto out;
    }
    if (sqlite3_exec(db,
                     "CREATE TABLE t(id INTEGER PRIMARY KEY, v REAL);"
                     "INSERT INTO t(v) VALUES (1.5), (2.25), (3.0);",
                     NULL, NULL, &err) != SQLITE_OK) {
        log_error("selftest", "sqlite exec failed: %s", err ? err : "?");
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT count(*), sum(v), sqlite_version() FROM t", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        log_error("selftest", "sqlite query failed: %s", sqlite3_errmsg(db));
        goto out;
    }
    int count = sqlite3_column_int(st, 0);
    double sum = sqlite3_column_double(st, 1);
    const char *ver = (const char *)sqlite3_column_text(st, 2);
    if (count == 3 && fabs(sum - 6.75) < 1e-12) {
        log_info("selftest", "sqlite %s in-memory query: count=%d sum=%.2f ok", ver, count, sum);
        rc = 0;
    } else {
        log_error("selftest", "sqlite in-memory query: count=%d sum=%.2f, want 3 and 6.75: FAILED", count, sum);
    }
out:
    sqlite3_free(err);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
