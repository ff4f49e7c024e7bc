/* store/store_db.h: inside store/ only: the open database handle that
 * store.c owns and query.c runs statements on. */
#ifndef STORE_STORE_DB_H
#define STORE_STORE_DB_H

#include "sqlite3.h"

/* The database, or NULL when it is not open. */
sqlite3 *store_db(void);
/* After opening: the progress handler and the statement time budget. */
void store_query_init(sqlite3 *db, uint32_t budget_ms);
/* WAL pages that start a checkpoint (half the WAL region). */
int store_autocheckpoint(void);
/* What store_errmsg answers next. */
void store_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Before closing: finalize every cached statement. */
void store_query_reset(void);

#endif
