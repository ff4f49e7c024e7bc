/* store/layout.c: the data disk's label (see layout.h).
 *
 * Label sector, little-endian:
 *   0   16  magic "APPLIANCE-DATA\0\0"
 *   16   4  version (1)
 *   20   4  reserved, zero
 *   24   8  disk bytes when formatted
 *   32  48  three regions (WAL, journal, database): start and length, 8 bytes each
 *   80 428  zero
 *   508  4  CRC-32 of bytes 0..507
 */
#include "store/layout.h"

#include <stdio.h>
#include <string.h>

static const char magic[16] = "APPLIANCE-DATA\0";
#define MIB (1ull << 20)

static uint64_t clamp_mib(uint64_t v, uint64_t lo, uint64_t hi)
{
    v &= ~(MIB - 1);
    return v < lo ? lo : v > hi ? hi : v;
}

int layout_plan(uint64_t disk_bytes, struct layout *out)
{
    memset(out, 0, sizeof *out);
    if (disk_bytes < LAYOUT_MIN_DISK)
        return -1;
    uint64_t usable = (disk_bytes & ~(MIB - 1)) - LAYOUT_RESERVED;
    uint64_t wal = clamp_mib(usable / 8, MIB, 256 * MIB), journal = clamp_mib(usable / 32, MIB, 64 * MIB);
    out->disk_bytes = disk_bytes;
    out->region[LAYOUT_WAL].start = LAYOUT_RESERVED;
    out->region[LAYOUT_WAL].len = wal;
    out->region[LAYOUT_JOURNAL].start = LAYOUT_RESERVED + wal;
    out->region[LAYOUT_JOURNAL].len = journal;
    out->region[LAYOUT_DB].start = LAYOUT_RESERVED + wal + journal;
    out->region[LAYOUT_DB].len = usable - wal - journal;
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

uint32_t layout_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

void layout_encode(const struct layout *l, uint8_t label[LAYOUT_LABEL_BYTES])
{
    memset(label, 0, LAYOUT_LABEL_BYTES);
    memcpy(label, magic, sizeof magic);
    put32(label + 16, LAYOUT_VERSION);
    put64(label + 24, l->disk_bytes);
    for (int r = 0; r < LAYOUT_REGIONS; r++) {
        put64(label + 32 + 16 * r, l->region[r].start);
        put64(label + 40 + 16 * r, l->region[r].len);
    }
    put32(label + 508, layout_crc32(label, 508));
}

enum layout_kind layout_decode(const uint8_t label[LAYOUT_LABEL_BYTES], uint64_t disk_bytes,
                               struct layout *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    if (whylen)
        why[0] = 0;
    if (memcmp(label, magic, sizeof magic) != 0) {
        for (size_t i = 0; i < LAYOUT_LABEL_BYTES; i++)
            if (label[i]) {
                snprintf(why, whylen, "it holds other data (first bytes %02x %02x %02x %02x), not an "
                         "appliance data disk", label[0], label[1], label[2], label[3]);
                return LAYOUT_FOREIGN;
            }
        return LAYOUT_BLANK;
    }
    if (get32(label + 508) != layout_crc32(label, 508)) {
        snprintf(why, whylen, "its label's checksum is wrong (damaged)");
        return LAYOUT_DAMAGED;
    }
    if (get32(label + 16) != LAYOUT_VERSION) {
        snprintf(why, whylen, "its label is version %u; this image reads version %u", get32(label + 16),
                 LAYOUT_VERSION);
        return LAYOUT_DAMAGED;
    }
    out->disk_bytes = get64(label + 24);
    uint64_t end = LAYOUT_RESERVED;
    for (int r = 0; r < LAYOUT_REGIONS; r++) {
        out->region[r].start = get64(label + 32 + 16 * r);
        out->region[r].len = get64(label + 40 + 16 * r);
        /* In order, adjacent, MiB-aligned, non-empty, inside the disk. */
        if (end > disk_bytes || out->region[r].start != end || out->region[r].len == 0 || out->region[r].len % MIB ||
            out->region[r].len > disk_bytes - end) {
            snprintf(why, whylen, "its label's regions do not fit this disk of %llu bytes",
                     (unsigned long long)disk_bytes);
            return LAYOUT_DAMAGED;
        }
        end += out->region[r].len;
    }
    return LAYOUT_OURS;
}

int layout_is_boot_image(const uint8_t *gpt, size_t n, uint32_t ss)
{
    /* UEFI 2.10 section 5.3: header "EFI PART" at LBA 1, partition entries
     * from the LBA it names (2 here: the first entries follow it). */
    if (n < 2 * (size_t)ss || ss < 512 || memcmp(gpt, "EFI PART", 8) != 0)
        return 0;
    uint64_t entries_lba = 0;
    uint32_t count, esize;
    memcpy(&entries_lba, gpt + 72, 8);
    memcpy(&count, gpt + 80, 4);
    memcpy(&esize, gpt + 84, 4);
    if (entries_lba != 2 || esize < 128 || esize > 4096)
        return 0;
    const uint8_t *e = gpt + ss;
    size_t fit = (n - ss) / esize;
    for (size_t i = 0; i < count && i < fit; i++, e += esize) {
        /* The name: UTF-16LE at offset 56, 36 code units. */
        const char *want = LAYOUT_ESP_NAME;
        size_t k = 0;
        while (want[k] && e[56 + 2 * k] == (uint8_t)want[k] && e[57 + 2 * k] == 0)
            k++;
        if (!want[k] && e[56 + 2 * k] == 0 && e[57 + 2 * k] == 0)
            return 1;
    }
    return 0;
}
