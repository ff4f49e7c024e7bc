/* kernel/cpio.h: a strict reader of cpio "newc" archives (the format of
 * the config blob, and of Linux initramfs; GNU cpio's -H newc). Pure:
 * host-tested and fuzzed (tests/fuzz/fuzz_cpio.c).
 *
 * Each entry: a 110-byte ASCII header ("070701" then 13 fields of 8 hex
 * digits: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize, check), the NUL-terminated name, padding
 * to 4 bytes, the data, padding to 4 bytes. The archive ends with an entry
 * named "TRAILER!!!". Only regular files and directories are accepted;
 * names must be relative, without "." or ".." components, empty
 * components or a trailing '/', and unique. Nothing is copied: entries
 * point into the caller's buffer, which must outlive them.
 *
 * Errors name the byte offset and what is wrong, e.g.
 * "archive offset 220: bad magic (want 070701, a cpio newc archive)".
 */
#ifndef KERNEL_CPIO_H
#define KERNEL_CPIO_H

#include <stddef.h>
#include <stdint.h>

#define CPIO_NAME_MAX 255
#define CPIO_MAX_ENTRIES 4096

struct cpio_entry {
    const char *name;       /* NUL-terminated, inside the archive */
    const uint8_t *data;
    size_t size;
    int is_dir;
    uint32_t mtime;         /* seconds since 1970 (the packer's file time; 0 unknown) */
};

/* Check the whole archive; on success *count = entries (trailer excluded).
 * 0, or -1 with a message in err. */
int cpio_validate(const uint8_t *buf, size_t len, size_t *count, char *err, size_t errlen);
/* The i-th entry of a validated archive (0-based); 0 or -1. */
int cpio_entry_at(const uint8_t *buf, size_t len, size_t i, struct cpio_entry *e);
/* The entry named name in a validated archive; 0 or -1 if absent. */
int cpio_find(const uint8_t *buf, size_t len, const char *name, struct cpio_entry *e);

/* 1 if n is a safe archive name: relative, no empty, "." or ".."
 * components, no trailing '/'. The config uses the same rule for paths. */
int cpio_name_ok(const char *n);

/* For the packer (apctl): the bytes of one header + name + padding, written
 * to out (cap >= 110 + namelen + 4). Returns the length, or 0 if the name
 * is too long. */
size_t cpio_write_header(uint8_t *out, size_t cap, const char *name, uint32_t mode, uint32_t size,
                         uint32_t ino, uint32_t mtime);

#endif
