/* store/store.h: the store layer's public interface (SQLite over a block
 * device, in the store issue). For now: the SQLite version for the banner
 * and the boot self-test. Event-loop context only. */
#ifndef STORE_STORE_H
#define STORE_STORE_H

/* "SQLite 3.46.1" (static storage). */
const char *store_version(void);
/* An in-memory database: create, insert, aggregate with a double, compare;
 * logs the result. 0 ok, -1 failed. */
int store_selftest(void);

#endif
