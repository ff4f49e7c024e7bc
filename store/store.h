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

#endif
