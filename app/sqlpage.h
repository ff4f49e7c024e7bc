/* app/sqlpage.h: list routes' paging (docs/store.md, "Lists"), pure.
 *
 * A list route's statement is wrapped, never edited:
 *
 *   SELECT * FROM (<the route's SELECT>) WHERE <filters> AND <after the
 *   cursor> ORDER BY "<sort>" <dir>, "<key>" <dir> LIMIT :_limit OFFSET :_offset
 *
 * Only column names from the route's allow-lists (sort-by, filter-by, the
 * page key) are written into the text; every value is bound (:_f0..,
 * :_cv, :_ck, :_limit, :_offset). The key is unique, so (sort, key) is a
 * total order and a keyset cursor resumes exactly after the last row it
 * saw: rows inserted or deleted meanwhile cause no repeats or gaps.
 *
 * A cursor is opaque to clients: base64url of the sort it belongs to and
 * the last row's sort and key values. Anything that does not decode to
 * that exactly is refused.
 */
#ifndef APP_SQLPAGE_H
#define APP_SQLPAGE_H

#include <stddef.h>
#include "kernel/kernel.h"
#include "store/store.h"

#define SQLPAGE_SQL_MAX 4096        /* the wrapped statement's text */
#define SQLPAGE_CURSOR_MAX 720      /* a cursor's base64url text */
#define SQLPAGE_VALUE_MAX 256       /* text bytes of a value a cursor keeps */

struct sqlpage {
    int sort;                       /* index in sort_by, -1 for the key */
    int desc;
    unsigned filters;               /* bit i: filter_by[i] given, bound to :_f<i> */
    int has_cursor;
    struct store_value cv, ck;      /* the cursor's sort and key values */
};

/* ?sort=NAME or -NAME: 0, or -1 when NAME is not allowed. Without one
 * the key's order (page ... key [-]COLUMN). */
int sqlpage_sort(const struct config_sql *q, const char *s, size_t n, struct sqlpage *pg);
/* The wrapped statement into out (SQLPAGE_SQL_MAX); 0 or -1 too long. */
int sqlpage_sql(const struct config_sql *q, const char *base, const struct sqlpage *pg, char *out, size_t cap);
/* A cursor for the row with sort value sv and key value kv: its length
 * in out (cap >= SQLPAGE_CURSOR_MAX), or 0 when a value is too long to
 * keep (then there is no cursor, and offsets still work). */
size_t sqlpage_cursor(const struct sqlpage *pg, const struct store_value *sv, const struct store_value *kv,
                      char *out, size_t cap);
/* Decode a cursor into pg (cv, ck, sort, desc, has_cursor); text values
 * point into store (SQLPAGE_CURSOR_MAX bytes). 0, or -1 if it is not one
 * of ours. */
int sqlpage_uncursor(const struct config_sql *q, const char *s, size_t n, struct sqlpage *pg, char *store);

#endif
