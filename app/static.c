/* app/static.c: the index of servable files (see app/static.h). */
#include "app/static.h"

#include <stdlib.h>
#include <string.h>

#include "app/http_resp.h"

static struct static_file *files;
static size_t nfiles;
static const char **dirs;
static size_t ndirs;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct static_file *)a)->name, ((const struct static_file *)b)->name);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_key(const struct config *c, const char *name)
{
    for (unsigned i = 0; c->tls.enabled && i < c->tls.ncert; i++)
        if (strcmp(name, c->tls.cert[i].key.path) == 0)
            return 1;
    return 0;
}

int static_init(const struct config *c)
{
    struct config_entry e;
    size_t n = 0, nd = 0;
    while (config_blob_entry(c, n + nd, &e) == 0)
        e.is_dir ? nd++ : n++;
    files = calloc(n ? n : 1, sizeof *files);
    dirs = calloc(nd ? nd : 1, sizeof *dirs);
    if (!files || !dirs)
        return -1;
    for (size_t i = 0; config_blob_entry(c, i, &e) == 0; i++) {
        if (e.is_dir) {
            dirs[ndirs++] = e.name;
            continue;
        }
        if (is_key(c, e.name))
            continue;                           /* a secret, never served */
        files[nfiles++] = (struct static_file){ e.name, e.data, e.size, e.mtime, "" };
    }
    qsort(files, nfiles, sizeof *files, by_name);
    qsort(dirs, ndirs, sizeof *dirs, by_str);
    return 0;
}

size_t static_count(void) { return nfiles; }

struct static_file *static_find(const char *name)
{
    size_t lo = 0, hi = nfiles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(files[mid].name, name);
        if (c == 0) {
            if (!files[mid].etag[0])
                http_etag(files[mid].data, files[mid].size, files[mid].etag);
            return &files[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int static_is_dir(const char *name)
{
    size_t k = strlen(name);
    if (bsearch(&name, dirs, ndirs, sizeof *dirs, by_str))
        return 1;
    /* The first file not before "name/": is it under name? */
    size_t lo = 0, hi = nfiles;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(files[mid].name, name, k);
        if (c < 0 || (c == 0 && files[mid].name[k] < '/'))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nfiles && strncmp(files[lo].name, name, k) == 0 && files[lo].name[k] == '/';
}
