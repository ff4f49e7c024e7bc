/* kernel/multiboot2.c: the Multiboot2 boot information as PVH start info
 * (see multiboot2.h). Tags (spec section 3.6): 1 command line, 2 boot
 * loader name, 3 module, 6 memory map, 14/15 ACPI old/new RSDP, 0 end;
 * each 8-byte aligned; the rest are skipped. */
#include "kernel/multiboot2.h"

#include <string.h>

static uint32_t u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

int multiboot2_read(const uint8_t *mbi, size_t max, struct mb2_boot *b, const char **why)
{
    memset(b, 0, sizeof *b);
    b->si.magic = PVH_START_MAGIC;
    b->si.version = 1;
    if (max < 16) {
        *why = "the boot information is shorter than its header";
        return -1;
    }
    size_t total = u32(mbi);
    if (total < 16 || total > max) {
        *why = "the boot information's size is out of range";
        return -1;
    }
    int ended = 0;
    for (size_t off = 8; off + 8 <= total && !ended;) {
        uint32_t type = u32(mbi + off), size = u32(mbi + off + 4);
        if (size < 8 || size > total - off) {
            *why = "a boot information tag runs past the end";
            return -1;
        }
        const uint8_t *t = mbi + off;
        if (type < 64)
            b->tags |= 1ull << type;
        switch (type) {
        case 0:
            ended = 1;
            break;
        case 1:                                 /* command line: a NUL-terminated string */
            if (size > 8 && memchr(t + 8, 0, size - 8))
                b->si.cmdline_paddr = (uint64_t)(uintptr_t)(t + 8);
            break;
        case 2:
            if (size > 8) {
                size_t n = size - 8 < sizeof b->loader - 1 ? size - 8 : sizeof b->loader - 1;
                memcpy(b->loader, t + 8, n);
                b->loader[n] = 0;
            }
            break;
        case 3:                                 /* module: start, end, string */
            if (size >= 16 && !b->si.nr_modules) {
                uint32_t start = u32(t + 8), end = u32(t + 12);
                if (end < start) {
                    *why = "a module ends before it starts";
                    return -1;
                }
                b->mod.paddr = start;
                b->mod.size = end - start;
                b->si.nr_modules = 1;
                b->si.modlist_paddr = (uint64_t)(uintptr_t)&b->mod;
            }
            break;
        case 6: {                               /* memory map */
            uint32_t esize = size >= 16 ? u32(t + 8) : 0;
            if (esize < 24 || esize % 8) {
                *why = "the memory map's entries are not 24 bytes or more";
                return -1;
            }
            for (size_t e = 16; e + esize <= size && b->si.memmap_entries < E820_MAX_ENTRIES; e += esize) {
                struct hvm_memmap_table_entry *m = &b->map[b->si.memmap_entries++];
                m->addr = u64(t + e);
                m->size = u64(t + e + 8);
                m->type = u32(t + e + 16);
            }
            b->si.memmap_paddr = (uint64_t)(uintptr_t)b->map;
            break;
        }
        case 14:                                /* ACPI 1.0 RSDP (20 bytes) */
        case 15:                                /* ACPI 2.0+ RSDP (36 bytes): preferred */
            if (size >= 8 + 20 && (type == 15 || !b->si.rsdp_paddr)) {
                size_t n = size - 8 < sizeof b->rsdp ? size - 8 : sizeof b->rsdp;
                memset(b->rsdp, 0, sizeof b->rsdp);
                memcpy(b->rsdp, t + 8, n);
                b->si.rsdp_paddr = (uint64_t)(uintptr_t)b->rsdp;
            }
            break;
        default:
            break;
        }
        off += (size + 7) & ~(size_t)7;
    }
    if (!ended) {
        *why = "the boot information has no end tag";
        return -1;
    }
    if (!b->si.memmap_entries) {
        *why = "the boot loader gave no memory map";
        return -1;
    }
    return 0;
}
