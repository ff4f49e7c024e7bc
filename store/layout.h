/* store/layout.h: the data disk's layout (docs/store.md). Pure: the image,
 * apctl and the host tests read and write it alike.
 *
 *   byte 0        the label: one 512-byte sector (layout_encode), the
 *                 rest of the first MiB zero
 *   1 MiB         the WAL region: SQLite's write-ahead log, in place
 *   ...           the journal region: SQLite's rollback journal (only
 *                 used while a database is switched to WAL mode)
 *   ...           the database region, to the end of the disk: a plain
 *                 SQLite database file from its first byte
 *
 * Region sizes are fixed when the disk is formatted (first boot on a
 * blank disk) and recorded in the label, which is never written again.
 * A file's length is not stored: the database's is in its own header
 * (page size x page count), the WAL's and the journal's in their headers'
 * magic numbers (absent: empty). So no write ever has to update two
 * places at once.
 */
#ifndef STORE_LAYOUT_H
#define STORE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define LAYOUT_LABEL_BYTES 512
#define LAYOUT_RESERVED (1u << 20)                  /* the label's MiB */
#define LAYOUT_MIN_DISK (8ull << 20)
#define LAYOUT_VERSION 1

enum layout_region { LAYOUT_WAL, LAYOUT_JOURNAL, LAYOUT_DB, LAYOUT_REGIONS };

struct layout {
    uint64_t disk_bytes;                            /* when formatted */
    struct { uint64_t start, len; } region[LAYOUT_REGIONS];   /* bytes, MiB-aligned */
};

/* The layout for a blank disk of disk_bytes: WAL 1/8 (1-256 MiB),
 * journal 1/32 (1-64 MiB), the database the rest. 0, or -1 when the disk
 * is smaller than LAYOUT_MIN_DISK. */
int layout_plan(uint64_t disk_bytes, struct layout *out);

/* The label sector for l (LAYOUT_LABEL_BYTES, the rest zero). */
void layout_encode(const struct layout *l, uint8_t label[LAYOUT_LABEL_BYTES]);

/* What the first sector of a disk of disk_bytes holds. */
enum layout_kind {
    LAYOUT_OURS,                                    /* *out filled */
    LAYOUT_BLANK,                                   /* all zero: format it */
    LAYOUT_FOREIGN,                                 /* something else: never touch it */
    LAYOUT_DAMAGED,                                 /* our magic, but a bad checksum, version or geometry */
};
/* Is this the appliance's own boot image (tools/image.sh: GPT with a
 * partition named "appliance-esp")? gpt holds the disk's bytes from LBA 1
 * (the GPT header) on, n of them (2 sectors at least: header and the
 * first four entries). Such a disk is never a data disk (kernel/main.c
 * leaves it out of vda, vdb, ...). */
#define LAYOUT_ESP_NAME "appliance-esp"
int layout_is_boot_image(const uint8_t *gpt, size_t n, uint32_t sector_size);
enum layout_kind layout_decode(const uint8_t label[LAYOUT_LABEL_BYTES], uint64_t disk_bytes,
                               struct layout *out, char *why, size_t whylen);

/* CRC-32 (IEEE 802.3), for the label. */
uint32_t layout_crc32(const uint8_t *p, size_t n);

#endif
