/* store/blkvfs.h: a SQLite VFS over a block device (docs/store.md),
 * the data disk laid out as store/layout.h says. Depends on SQLite and
 * the blkdev interface only, so the host tests run it over a memory disk.
 *
 * Files: BLKVFS_DB ("appliance.db"), its "-wal" and its "-journal", each
 * in its region; any other name cannot be opened. One connection at a
 * time, in EXCLUSIVE locking mode (so WAL needs no shared memory): the
 * lock calls succeed and do nothing. xSync is the device's flush (a disk
 * that cannot flush is refused at blkvfs_attach). Reads past a file's end
 * are zero-filled (SQLITE_IOERR_SHORT_READ); device errors become
 * SQLITE_IOERR_READ / _WRITE / _FSYNC, writes past a region's end
 * SQLITE_FULL. Partial sectors are read, merged and written whole.
 */
#ifndef STORE_BLKVFS_H
#define STORE_BLKVFS_H

#include <stddef.h>
#include "drivers/blkdev.h"
#include "store/layout.h"

#define BLKVFS_NAME "appliance-disk"
#define BLKVFS_DB "appliance.db"

/* Read dev's label: a blank disk is formatted (label written, regions'
 * first sectors zeroed, flushed), ours is used, anything else refused.
 * Then the VFS is registered under BLKVFS_NAME (not as the default).
 * 0, 1 when the disk was formatted just now, or -1 with the reason in why
 * (the disk untouched). *l gets the layout. */
int blkvfs_attach(struct blkdev *dev, struct layout *l, char *why, size_t whylen);
/* Bytes [off, off + n) of the database file as it is on the disk (not
 * through SQLite: the online backup reads a file SQLite is not writing,
 * store/backup.c). 0, or -1 on a device error or past the file's end. */
int blkvfs_read_db(uint64_t off, void *buf, size_t n);
/* Unregister (the database must be closed). */
void blkvfs_detach(void);

#endif
