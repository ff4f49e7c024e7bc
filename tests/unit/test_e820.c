/* Unit tests of kernel/e820.c: memory maps as QEMU, qboot and odd firmware
 * give them. */
#include "kernel/e820.h"
#include "tests/unit/check.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

int main(void)
{
    struct mem_region r[16];

    /* QEMU q35 -m 128M through SeaBIOS: low RAM, EBDA reserved, RAM to
     * 128M - 128K, then the firmware's reserved tail and the BIOS ROM. */
    struct e820_entry q35[] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
        { 0x100000, 0x7ee0000, 1 }, { 0x7fe0000, 0x20000, 2 },
        { 0xb0000000, 0x10000000, 2 }, { 0xfed1c000, 0x4000, 2 }, { 0xfffc0000, 0x40000, 2 },
    };
    size_t n = e820_usable(q35, 8, MiB, 512 * GiB, r, 16);
    CHECK_U64(n, 1);
    CHECK_U64(r[0].start, MiB);
    CHECK_U64(r[0].end, 0x7fe0000);
    CHECK_U64(e820_ram_total(q35, 8), 0x9fc00 + 0x7ee0000);

    /* Unsorted, overlapping and adjacent RAM entries merge; a reserved
     * range inside RAM splits it; unaligned edges shrink inwards. */
    struct e820_entry odd[] = {
        { 0x300000, 0x100000, 1 }, { 0x100800, 0x100000, 1 }, { 0x200000, 0x180000, 1 },
        { 0x250000, 0x1000, 2 }, { 0, 0, 0 }, { 0x5000000, 0, 1 },
    };
    n = e820_usable(odd, 6, MiB, 512 * GiB, r, 16);
    CHECK_U64(n, 2);
    CHECK_U64(r[0].start, 0x101000);
    CHECK_U64(r[0].end, 0x250000);
    CHECK_U64(r[1].start, 0x251000);
    CHECK_U64(r[1].end, 0x400000);
    CHECK_U64(e820_ram_total(odd, 6), 0x400000 - 0x100800);

    /* qboot's trailing all-zero entry and type-0 entries are ignored, and
     * RAM above 4 GiB is kept (q35 with more than ~2.75 GiB). */
    struct e820_entry hi[] = {
        { 0x100000, 0x7ff00000, 1 }, { 0x100000000ULL, 0x80000000ULL, 1 }, { 0, 0, 0 },
    };
    n = e820_usable(hi, 3, MiB, 512 * GiB, r, 16);
    CHECK_U64(n, 2);
    CHECK_U64(r[1].start, 4 * GiB);
    CHECK_U64(r[1].end, 6 * GiB);
    /* Clipping to a maximum. */
    n = e820_usable(hi, 3, MiB, 5 * GiB, r, 16);
    CHECK_U64(r[n - 1].end, 5 * GiB);
    /* Nothing usable. */
    struct e820_entry none[] = { { 0, 0x9fc00, 1 }, { 0x100000, 0x1000, 2 } };
    CHECK_U64(e820_usable(none, 2, MiB, 512 * GiB, r, 16), 0);
    /* An entry whose end wraps past 2^64 is clamped, not wrapped. */
    struct e820_entry wrap[] = { { 0xfffffffffffff000ULL, 0x2000, 1 }, { MiB, MiB, 1 } };
    n = e820_usable(wrap, 2, MiB, 512 * GiB, r, 16);
    CHECK_U64(n, 1);
    CHECK_U64(r[0].start, MiB);
    /* Output capacity is respected. */
    struct e820_entry many[8];
    for (int i = 0; i < 8; i++) {
        many[i].addr = (uint64_t)(i + 1) * 0x1000000;
        many[i].size = 0x100000;
        many[i].type = 1;
    }
    CHECK_U64(e820_usable(many, 8, MiB, 512 * GiB, r, 3), 3);

    /* mem_regions_subtract: cut front, back, middle (split), whole, none. */
    struct mem_region s[4] = { { 0x100000, 0x200000 }, { 0x300000, 0x400000 } };
    size_t m = mem_regions_subtract(s, 2, 4, 0x100000, 0x110000);
    CHECK_U64(m, 2);
    CHECK_U64(s[0].start, 0x110000);
    m = mem_regions_subtract(s, m, 4, 0x1f0000, 0x310000);
    CHECK_U64(m, 2);
    CHECK_U64(s[0].end, 0x1f0000);
    CHECK_U64(s[1].start, 0x310000);
    m = mem_regions_subtract(s, m, 4, 0x350000, 0x360000);
    CHECK_U64(m, 3);
    CHECK_U64(s[1].end, 0x350000);
    CHECK_U64(s[2].start, 0x360000);
    CHECK_U64(s[2].end, 0x400000);
    m = mem_regions_subtract(s, m, 4, 0x0, 0x355000);
    CHECK_U64(m, 1);
    CHECK_U64(s[0].start, 0x360000);
    m = mem_regions_subtract(s, m, 4, 0x500000, 0x400000);   /* empty range */
    CHECK_U64(m, 1);
    /* Split without room keeps the lower part. */
    struct mem_region t[1] = { { 0x100000, 0x400000 } };
    CHECK_U64(mem_regions_subtract(t, 1, 1, 0x200000, 0x300000), 1);
    CHECK_U64(t[0].end, 0x200000);
    return check_done("test_e820");
}
