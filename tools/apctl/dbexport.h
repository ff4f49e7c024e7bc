/* tools/apctl/dbexport.h: `apctl db export` (dbexport.c) and the exit
 * statuses apctl's commands share. */
#ifndef TOOLS_APCTL_DBEXPORT_H
#define TOOLS_APCTL_DBEXPORT_H

#define APCTL_EXIT_INVALID 1
#define APCTL_EXIT_USAGE 2
#define APCTL_EXIT_IO 3

/* The database of the data disk image disk as one SQLite file out: 0, or
 * an exit status with the reason on stderr. */
int apctl_db_export(const char *disk, const char *out);

#endif
