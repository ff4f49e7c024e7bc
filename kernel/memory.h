/* kernel/memory.h: memory at boot: the PVH memory map -> the page allocator
 * (pmem.h) and the malloc heap.
 *
 * All usable RAM above 1 MiB, minus the kernel image and boot modules, goes
 * to the page allocator; RAM above 4 GiB is identity mapped here. The heap
 * behind picolibc's malloc (our sbrk) is one contiguous run of
 * (usable - page pool) bytes, the page pool being 1/MEM_PAGE_POOL_DIV of
 * usable RAM and at least MEM_PAGE_POOL_MIN (kernel/klimits.h): both follow
 * the RAM the VM has. Call memory_init once, early, from kmain.
 */
#ifndef KERNEL_MEMORY_H
#define KERNEL_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/e820.h"

struct memory_reserved { uint64_t start, end; };

struct memory_info {
    uint64_t ram_bytes;        /* RAM the firmware map reports */
    uint64_t usable_bytes;     /* managed by the page allocator at start */
    uint64_t kernel_bytes;
    uint64_t heap_bytes, heap_used;
    uint64_t pool_free_bytes;  /* page allocator, after the heap was taken */
};

/* Returns 0, or -1 with a logged reason (no usable RAM). */
int memory_init(const struct e820_entry *map, size_t n,
             const struct memory_reserved *rsv, size_t nrsv);
void memory_get_info(struct memory_info *out);
/* Physically contiguous, zeroed pages for devices; 0 when none. */
uint64_t memory_alloc_pages(uint64_t npages, uint64_t align_pages);
void memory_free_pages(uint64_t addr, uint64_t npages);
/* Identity-map a device's MMIO range (a PCI BAR above 4 GiB; below is
 * mapped at boot). 0, or -1 beyond 512 GiB or out of page-table pages. */
int memory_map_mmio(uint64_t start, uint64_t len);

#endif
