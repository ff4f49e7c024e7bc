/* kernel/e820.h: the firmware memory map -> usable RAM regions. Pure.
 *
 * Input is the map the loader gives (PVH hvm_memmap_table entries, the same
 * shape as BIOS e820). Output is sorted, non-overlapping, page-aligned
 * [start, end) regions of RAM that no other entry claims, clipped to
 * [min_addr, max_addr). Type-0 entries (qboot ends its map with one) and
 * zero-sized ones are ignored. Host-tested in tests/unit/test_e820.c.
 */
#ifndef KERNEL_E820_H
#define KERNEL_E820_H

#include <stddef.h>
#include <stdint.h>

#define E820_RAM 1
#define PAGE_SIZE 4096ULL

struct e820_entry { uint64_t addr, size; uint32_t type; };
struct mem_region { uint64_t start, end; };

/* Returns the number of regions written to out (at most cap). */
size_t e820_usable(const struct e820_entry *in, size_t n, uint64_t min_addr,
                   uint64_t max_addr, struct mem_region *out, size_t cap);
/* Bytes of RAM the map reports (type 1, overlaps counted once). */
uint64_t e820_ram_total(const struct e820_entry *in, size_t n);
/* Remove [start, end) from the regions (sorted, disjoint); a region split in
 * two needs one free slot: without it the upper part is dropped. Returns the
 * new count. */
size_t mem_regions_subtract(struct mem_region *r, size_t n, size_t cap,
                            uint64_t start, uint64_t end);

#endif
