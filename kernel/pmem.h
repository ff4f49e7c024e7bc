/* kernel/pmem.h: the physical page allocator. Pure (host-tested).
 *
 * A bitmap over [base, base + npages * 4096): bit set = page in use or not
 * RAM. The caller owns the bitmap storage (pmem_bitmap_words() long) and
 * the struct; the allocator never touches the memory it hands out.
 * Allocation is first-fit with alignment, for multi-page, physically
 * contiguous runs (virtqueue rings, DMA buffers, the heap). Address 0 is
 * never handed out (RAM below 1 MiB is not managed), so 0 means "none".
 * Not reentrant: call from the event loop only, never from an interrupt.
 */
#ifndef KERNEL_PMEM_H
#define KERNEL_PMEM_H

#include <stddef.h>
#include <stdint.h>

struct pmem {
    uint64_t base;
    uint64_t npages;
    uint64_t *bits;
    uint64_t free_pages;
    uint64_t managed_pages;     /* pages ever added as RAM */
};

size_t pmem_bitmap_words(uint64_t base, uint64_t end);
/* All pages start "in use"; add the RAM with pmem_add_region. */
void pmem_init(struct pmem *pm, uint64_t *bits, uint64_t base, uint64_t end);
void pmem_add_region(struct pmem *pm, uint64_t start, uint64_t end);
/* Mark [start, end) used (kernel image, boot modules, the bitmap itself). */
void pmem_reserve(struct pmem *pm, uint64_t start, uint64_t end);
/* npages contiguous pages aligned to align_pages (a power of two, >= 1);
 * returns the physical address or 0 when no run is free. */
uint64_t pmem_alloc(struct pmem *pm, uint64_t npages, uint64_t align_pages);
/* 0, or -1 if any page is outside the bitmap or already free (a caller bug). */
int pmem_free(struct pmem *pm, uint64_t addr, uint64_t npages);
/* Longest free run in pages; its address in *start (may be NULL). */
uint64_t pmem_largest_run(const struct pmem *pm, uint64_t *start);

#endif
