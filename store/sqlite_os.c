/* store/sqlite_os.c: SQLite's OS layer for SQLITE_OS_OTHER builds.
 *
 * sqlite3_os_init must register a default VFS even for in-memory
 * databases: randomness and the current time go through it. This VFS has
 * no files yet (xOpen answers SQLITE_CANTOPEN); the store issue adds the
 * block-device VFS beside it. Time is the kernel wall clock; randomness is
 * the kernel CSPRNG (SQL's random()/randomblob() may mint identifiers).
 */
#include <string.h>
#include "kernel/kernel.h"
#include "sqlite3.h"

static int vfs_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)v; (void)name; (void)flags; (void)out;
    f->pMethods = NULL;
    return SQLITE_CANTOPEN;
}

static int vfs_delete(sqlite3_vfs *v, const char *name, int sync)
{
    (void)v; (void)name; (void)sync;
    return SQLITE_IOERR_DELETE;
}

static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *res)
{
    (void)v; (void)name; (void)flags;
    *res = 0;
    return SQLITE_OK;
}

static int vfs_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    size_t len = strlen(name);
    if ((int)len >= n)
        return SQLITE_CANTOPEN;
    memcpy(out, name, len + 1);
    return SQLITE_OK;
}

static int vfs_random(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    if (csprng_fill(out, (size_t)n) < 0)
        rand_weak_fill(out, (size_t)n);
    return n;
}

static int vfs_sleep(sqlite3_vfs *v, int us)
{
    /* Never block the event loop: report no time slept. */
    (void)v; (void)us;
    return 0;
}

static int vfs_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    /* Julian day number in milliseconds: 2440587.5 days at the Unix epoch. */
    *out = (sqlite3_int64)210866760000000LL + (sqlite3_int64)(clock_wall_ns() / 1000000u);
    return SQLITE_OK;
}

static int vfs_time(sqlite3_vfs *v, double *out)
{
    sqlite3_int64 ms;
    vfs_time64(v, &ms);
    *out = (double)ms / 86400000.0;
    return SQLITE_OK;
}

static int vfs_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    if (n > 0)
        out[0] = '\0';
    return 0;
}

static sqlite3_vfs store_vfs_none = {
    .iVersion = 2,
    .szOsFile = sizeof(sqlite3_file),
    .mxPathname = 256,
    .zName = "appliance-none",
    .xOpen = vfs_open,
    .xDelete = vfs_delete,
    .xAccess = vfs_access,
    .xFullPathname = vfs_fullpath,
    .xRandomness = vfs_random,
    .xSleep = vfs_sleep,
    .xCurrentTime = vfs_time,
    .xGetLastError = vfs_last_error,
    .xCurrentTimeInt64 = vfs_time64,
};

int sqlite3_os_init(void)
{
    return sqlite3_vfs_register(&store_vfs_none, 1);
}

int sqlite3_os_end(void)
{
    return SQLITE_OK;
}
