/* kernel/cpio.c: cpio newc reader (see cpio.h). Every offset is checked
 * against the buffer length before use, with overflow-safe arithmetic. */
#include "kernel/cpio.h"

#include <stdio.h>
#include <string.h>

#define HDR 110
#define S_IFMT 0170000u
#define S_IFREG 0100000u
#define S_IFDIR 0040000u

static size_t pad4(size_t v) { return (v + 3) & ~(size_t)3; }

static int hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

int cpio_name_ok(const char *n)
{
    if (n[0] == '/' || n[0] == 0)
        return 0;
    const char *c = n;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (!slash)
            return 1;
        c = slash + 1;
    }
}

/* Parse the entry at *off; 1 entry, 0 trailer, -1 error. */
static int parse_one(const uint8_t *buf, size_t len, size_t *off, struct cpio_entry *e,
                     char *err, size_t errlen)
{
    size_t at = *off;
    if (len - at < HDR) {
        snprintf(err, errlen, "archive offset %zu: truncated header (%zu bytes left, need 110)", at, len - at);
        return -1;
    }
    const uint8_t *h = buf + at;
    if (memcmp(h, "070701", 6) != 0) {
        snprintf(err, errlen, "archive offset %zu: bad magic (want 070701, a cpio newc archive)", at);
        return -1;
    }
    uint32_t f[13];
    for (int i = 0; i < 13; i++) {
        if (hex8(h + 6 + 8 * i, &f[i]) < 0) {
            snprintf(err, errlen, "archive offset %zu: header field %d is not 8 hex digits", at + 6 + 8 * i, i);
            return -1;
        }
    }
    uint32_t mode = f[1], size = f[6], namesize = f[11];
    if (namesize < 2 || namesize > CPIO_NAME_MAX + 1) {
        snprintf(err, errlen, "archive offset %zu: name size %u out of range 2-%d", at, namesize, CPIO_NAME_MAX + 1);
        return -1;
    }
    if (len - at - HDR < namesize) {
        snprintf(err, errlen, "archive offset %zu: name runs past the end of the archive", at);
        return -1;
    }
    const char *name = (const char *)(h + HDR);
    if (name[namesize - 1] != 0 || memchr(name, 0, namesize - 1)) {
        snprintf(err, errlen, "archive offset %zu: name is not one NUL-terminated string", at + HDR);
        return -1;
    }
    size_t data_at = pad4(at + HDR + namesize);
    if (data_at > len || len - data_at < size) {
        snprintf(err, errlen, "archive offset %zu: '%s' has %u bytes of data but the archive ends first",
                 at, name, size);
        return -1;
    }
    size_t next = pad4(data_at + size);
    *off = next > len ? len : next;
    if (strcmp(name, "TRAILER!!!") == 0)
        return 0;
    if (!cpio_name_ok(name)) {
        snprintf(err, errlen, "archive offset %zu: unsafe name '%s' (absolute, empty, '.' or '..' component)",
                 at, name);
        return -1;
    }
    if ((mode & S_IFMT) != S_IFREG && (mode & S_IFMT) != S_IFDIR) {
        snprintf(err, errlen, "archive offset %zu: '%s' is not a regular file or directory (mode %06o)",
                 at, name, mode);
        return -1;
    }
    if ((mode & S_IFMT) == S_IFDIR && size != 0) {
        snprintf(err, errlen, "archive offset %zu: directory '%s' has data", at, name);
        return -1;
    }
    e->name = name;
    e->data = buf + data_at;
    e->size = size;
    e->is_dir = (mode & S_IFMT) == S_IFDIR;
    e->mtime = f[5];
    return 1;
}

int cpio_validate(const uint8_t *buf, size_t len, size_t *count, char *err, size_t errlen)
{
    size_t off = 0, n = 0;
    struct cpio_entry e;
    for (;;) {
        size_t at = off;
        int r = parse_one(buf, len, &off, &e, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        if (++n > CPIO_MAX_ENTRIES) {
            snprintf(err, errlen, "archive offset %zu: more than %d entries", at, CPIO_MAX_ENTRIES);
            return -1;
        }
        /* Names must be unique: quadratic, but bounded by the entry cap and
         * run once per boot or apctl call. */
        size_t o2 = 0;
        struct cpio_entry p;
        char dummy[8];
        for (size_t k = 0; k + 1 < n; k++) {
            parse_one(buf, len, &o2, &p, dummy, sizeof dummy);
            if (strcmp(p.name, e.name) == 0) {
                snprintf(err, errlen, "archive offset %zu: '%s' appears twice", at, e.name);
                return -1;
            }
        }
        if (off >= len) {
            snprintf(err, errlen, "archive offset %zu: archive ends without its TRAILER!!! entry", len);
            return -1;
        }
    }
    for (size_t k = off; k < len; k++) {
        if (buf[k] != 0) {
            snprintf(err, errlen, "archive offset %zu: data after the TRAILER!!! entry", k);
            return -1;
        }
    }
    *count = n;
    return 0;
}

int cpio_entry_at(const uint8_t *buf, size_t len, size_t i, struct cpio_entry *e)
{
    size_t off = 0;
    char dummy[8];
    for (size_t k = 0;; k++) {
        if (parse_one(buf, len, &off, e, dummy, sizeof dummy) != 1)
            return -1;
        if (k == i)
            return 0;
    }
}

int cpio_find(const uint8_t *buf, size_t len, const char *name, struct cpio_entry *e)
{
    size_t off = 0;
    char dummy[8];
    while (parse_one(buf, len, &off, e, dummy, sizeof dummy) == 1)
        if (strcmp(e->name, name) == 0)
            return 0;
    return -1;
}

size_t cpio_write_header(uint8_t *out, size_t cap, const char *name, uint32_t mode, uint32_t size,
                         uint32_t ino, uint32_t mtime)
{
    size_t nl = strlen(name) + 1;
    if (nl > CPIO_NAME_MAX + 1 || cap < pad4(HDR + nl))
        return 0;
    char h[HDR + 1];
    snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ino, mode, 0u, 0u, 1u, mtime, size, 0u, 0u, 0u, 0u, (unsigned)nl, 0u);
    memcpy(out, h, HDR);
    memcpy(out + HDR, name, nl);
    size_t total = pad4(HDR + nl);
    memset(out + HDR + nl, 0, total - HDR - nl);
    return total;
}
