/* kernel/mem.c: boot memory set-up, identity map above 4 GiB, and sbrk
 * for picolibc's malloc (see mem.h). */
#include "kernel/memory.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "kernel/arch.h"
#include "kernel/klimits.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/pmem.h"

extern char __kernel_start[], __kernel_end[];
extern uint64_t boot_pml4[512], boot_pdpt[512];

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL

static struct pmem pm;
static struct memory_info info;
static char *heap_base, *heap_brk, *heap_end;

/* A zeroed page for a page table, from the page allocator (it hands out
 * low pages first, which are mapped already). */
static uint64_t *table_page(uint64_t *entry)
{
    if (!(*entry & PTE_P)) {
        uint64_t pg = pmem_alloc(&pm, 1, 1);
        if (!pg || pg >= 4 * GiB)
            return NULL;
        memset((void *)(uintptr_t)pg, 0, 4096);
        *entry = pg | PTE_P | PTE_RW;
    }
    return (uint64_t *)(uintptr_t)(*entry & ~0xfffULL);
}

/* Identity-map [start, end) with 2 MiB pages: boot/pvh.S covered 0-4 GiB
 * (PML4[0] -> boot_pdpt); above, a page directory per GiB and, past 512
 * GiB, a page-directory-pointer table per 512 GiB (UEFI firmware puts
 * 64-bit PCI BARs high, e.g. OVMF at the top of the physical space). */
static int map_identity(uint64_t start, uint64_t end)
{
    for (uint64_t a = start & ~(2 * MiB - 1); a < end; a += 2 * MiB) {
        if (a < 4 * GiB)
            continue;
        unsigned l4 = (unsigned)(a >> 39);
        if (l4 >= 256)
            return -1;                  /* beyond 128 TiB: not canonical in the low half */
        uint64_t *pdpt = l4 == 0 ? boot_pdpt : table_page(&boot_pml4[l4]);
        uint64_t *pd = pdpt ? table_page(&pdpt[(a >> 30) & 511]) : NULL;
        if (!pd)
            return -1;
        pd[(a >> 21) & 511] = a | PTE_P | PTE_RW | PTE_PS;
    }
    write_cr3(read_cr3());          /* flush the TLB of the new entries */
    return 0;
}

int memory_init(const struct e820_entry *map, size_t n,
             const struct memory_reserved *rsv, size_t nrsv)
{
    static struct mem_region reg[MEM_MAX_REGIONS];
    size_t nr = e820_usable(map, n, MiB, MEM_MAX_PHYS, reg, MEM_MAX_REGIONS);
    info.ram_bytes = e820_ram_total(map, n);
    uint64_t kstart = (uint64_t)(uintptr_t)__kernel_start, kend = (uint64_t)(uintptr_t)__kernel_end;
    info.kernel_bytes = kend - kstart;
    nr = mem_regions_subtract(reg, nr, MEM_MAX_REGIONS, kstart, kend);
    for (size_t i = 0; i < nrsv; i++)
        nr = mem_regions_subtract(reg, nr, MEM_MAX_REGIONS, rsv[i].start & ~0xfffULL,
                                  (rsv[i].end + 0xfff) & ~0xfffULL);
    if (nr == 0) {
        log_error("mem", "no usable RAM above 1 MiB in the memory map");
        return -1;
    }
    uint64_t top = reg[nr - 1].end;
    size_t words = pmem_bitmap_words(MiB, top);
    uint64_t bm_bytes = ((uint64_t)words * 8 + 0xfff) & ~0xfffULL;
    uint64_t bm = 0;
    for (size_t i = 0; i < nr; i++) {
        if (reg[i].end - reg[i].start >= bm_bytes && reg[i].start + bm_bytes <= 4 * GiB) {
            bm = reg[i].start;
            break;
        }
    }
    if (!bm) {
        log_error("mem", "no room below 4 GiB for the %llu KiB page bitmap",
                  (unsigned long long)(bm_bytes >> 10));
        return -1;
    }
    nr = mem_regions_subtract(reg, nr, MEM_MAX_REGIONS, bm, bm + bm_bytes);
    pmem_init(&pm, (uint64_t *)(uintptr_t)bm, MiB, top);
    for (size_t i = 0; i < nr; i++)
        pmem_add_region(&pm, reg[i].start, reg[i].end);
    for (size_t i = 0; i < nr; i++) {
        if (reg[i].end > 4 * GiB && map_identity(reg[i].start, reg[i].end) < 0) {
            log_warn("mem", "cannot map RAM at %#llx-%#llx: left unused",
                     (unsigned long long)reg[i].start, (unsigned long long)reg[i].end);
            pmem_reserve(&pm, reg[i].start, reg[i].end);
            reg[i].end = reg[i].start;      /* not mapped: not probed below */
        }
    }
    /* Touch the first and last page of every region above 4 GiB: a wrong
     * mapping faults here, at boot, not under load. */
    for (size_t i = 0; i < nr; i++) {
        if (reg[i].end <= 4 * GiB || reg[i].end == reg[i].start)
            continue;
        volatile uint64_t *lo = (volatile uint64_t *)(uintptr_t)(reg[i].start > 4 * GiB ? reg[i].start : 4 * GiB);
        volatile uint64_t *hi = (volatile uint64_t *)(uintptr_t)(reg[i].end - 8);
        *lo = 0x5a5a5a5a5a5a5a5aULL;
        *hi = ~0x5a5a5a5a5a5a5a5aULL;
        if (*lo != 0x5a5a5a5a5a5a5a5aULL || *hi != ~0x5a5a5a5a5a5a5a5aULL)
            panic("mem: RAM at %#llx-%#llx does not hold a pattern",
                  (unsigned long long)reg[i].start, (unsigned long long)reg[i].end);
        log_debug("mem", "high RAM %#llx-%#llx mapped and probed",
                  (unsigned long long)reg[i].start, (unsigned long long)reg[i].end);
    }
    info.usable_bytes = pm.free_pages * 4096;

    uint64_t pool = info.usable_bytes / MEM_PAGE_POOL_DIV;
    if (pool < MEM_PAGE_POOL_MIN)
        pool = MEM_PAGE_POOL_MIN;
    uint64_t run_at;
    uint64_t run = pmem_largest_run(&pm, &run_at) * 4096;
    uint64_t want = info.usable_bytes > pool ? info.usable_bytes - pool : 0;
    if (want > run)
        want = run;
    want &= ~0xfffULL;
    if (want < MiB) {
        log_error("mem", "only %llu KiB usable: not enough RAM for the heap",
                  (unsigned long long)(info.usable_bytes >> 10));
        return -1;
    }
    uint64_t h = pmem_alloc(&pm, want / 4096, 1);
    if (!h)
        panic("mem: heap allocation of %llu bytes failed after sizing", (unsigned long long)want);
    heap_base = heap_brk = (char *)(uintptr_t)h;
    heap_end = heap_base + want;
    info.heap_bytes = want;
    return 0;
}

void memory_get_info(struct memory_info *out)
{
    info.heap_used = (uint64_t)(heap_brk - heap_base);
    info.pool_free_bytes = pm.free_pages * 4096;
    *out = info;
}

uint64_t memory_alloc_pages(uint64_t npages, uint64_t align_pages)
{
    uint64_t a = pmem_alloc(&pm, npages, align_pages);
    if (a)
        memset((void *)(uintptr_t)a, 0, npages * 4096);
    return a;
}

void memory_free_pages(uint64_t addr, uint64_t npages)
{
    if (pmem_free(&pm, addr, npages) < 0)
        panic("mem: bad free of %llu pages at %#llx", (unsigned long long)npages,
              (unsigned long long)addr);
}

/* picolibc's malloc grows its arena through sbrk; ours hands out the heap
 * run chosen by memory_init (picolibc's own sbrk would use link-time symbols,
 * a fixed size). Failure is ENOMEM, which malloc turns into NULL. */
int memory_map_mmio(uint64_t start, uint64_t len)
{
    if (len == 0 || start + len < start)
        return -1;
    if (start + len <= 4 * GiB)
        return 0;
    return map_identity(start, start + len);
}

void *sbrk(ptrdiff_t incr)
{
    if (!heap_base) {
        errno = ENOMEM;
        return (void *)-1;
    }
    if ((incr > 0 && incr > heap_end - heap_brk) || (incr < 0 && -incr > heap_brk - heap_base)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = heap_brk;
    heap_brk += incr;
    return old;
}
