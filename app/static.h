/* app/static.h: the files static routes serve, indexed once at start from
 * the config blob (sorted by name, found by binary search). The TLS key
 * is never in the index, whatever a route names. */
#ifndef APP_STATIC_H
#define APP_STATIC_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"

struct static_file {
    const char *name;
    const uint8_t *data;
    size_t size;
    uint32_t mtime;
    char etag[19];                  /* computed on first use */
};

/* 0, or -1 without memory for the index. */
int static_init(const struct config *c);
struct static_file *static_find(const char *name);
/* 1 if name is a directory of the blob (an entry, or a prefix of files). */
int static_is_dir(const char *name);
size_t static_count(void);

#endif
