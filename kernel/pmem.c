/* kernel/pmem.c: bitmap page allocator (see pmem.h). */
#include "kernel/pmem.h"

#define PG 4096ULL

static int bit_get(const struct pmem *pm, uint64_t i) { return (pm->bits[i / 64] >> (i % 64)) & 1; }
static void bit_set(struct pmem *pm, uint64_t i) { pm->bits[i / 64] |= 1ULL << (i % 64); }
static void bit_clear(struct pmem *pm, uint64_t i) { pm->bits[i / 64] &= ~(1ULL << (i % 64)); }

size_t pmem_bitmap_words(uint64_t base, uint64_t end)
{
    uint64_t pages = (end - base) / PG;
    return (size_t)((pages + 63) / 64);
}

void pmem_init(struct pmem *pm, uint64_t *bits, uint64_t base, uint64_t end)
{
    pm->base = base & ~(PG - 1);
    pm->npages = (end - pm->base) / PG;
    pm->bits = bits;
    pm->free_pages = 0;
    pm->managed_pages = 0;
    size_t words = pmem_bitmap_words(pm->base, pm->base + pm->npages * PG);
    for (size_t i = 0; i < words; i++)
        bits[i] = ~0ULL;
}

/* Clip [start, end) to whole pages inside the bitmap: page indexes [*a, *b). */
static int page_span(const struct pmem *pm, uint64_t start, uint64_t end, int inward,
                     uint64_t *a, uint64_t *b)
{
    if (end <= start || end <= pm->base)
        return -1;
    if (start < pm->base)
        start = pm->base;
    uint64_t s = inward ? (start + PG - 1) & ~(PG - 1) : start & ~(PG - 1);
    uint64_t e = inward ? end & ~(PG - 1) : (end + PG - 1) & ~(PG - 1);
    uint64_t lo = (s - pm->base) / PG, hi = (e - pm->base) / PG;
    if (hi > pm->npages)
        hi = pm->npages;
    if (lo >= hi)
        return -1;
    *a = lo;
    *b = hi;
    return 0;
}

void pmem_add_region(struct pmem *pm, uint64_t start, uint64_t end)
{
    uint64_t a, b;
    if (page_span(pm, start, end, 1, &a, &b) < 0)
        return;
    for (uint64_t i = a; i < b; i++) {
        if (bit_get(pm, i)) {
            bit_clear(pm, i);
            pm->free_pages++;
            pm->managed_pages++;
        }
    }
}

void pmem_reserve(struct pmem *pm, uint64_t start, uint64_t end)
{
    uint64_t a, b;
    if (page_span(pm, start, end, 0, &a, &b) < 0)
        return;
    for (uint64_t i = a; i < b; i++) {
        if (!bit_get(pm, i)) {
            bit_set(pm, i);
            pm->free_pages--;
        }
    }
}

uint64_t pmem_alloc(struct pmem *pm, uint64_t npages, uint64_t align_pages)
{
    if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) || npages > pm->free_pages)
        return 0;
    uint64_t base_page = pm->base / PG;
    uint64_t i = 0;
    while (i + npages <= pm->npages) {
        /* Align the absolute page number, not the bitmap index. */
        uint64_t abs = base_page + i;
        uint64_t rem = abs & (align_pages - 1);
        if (rem) {
            i += align_pages - rem;
            continue;
        }
        uint64_t k = 0;
        while (k < npages && !bit_get(pm, i + k))
            k++;
        if (k == npages) {
            for (k = 0; k < npages; k++)
                bit_set(pm, i + k);
            pm->free_pages -= npages;
            return pm->base + i * PG;
        }
        i += k + 1;
    }
    return 0;
}

int pmem_free(struct pmem *pm, uint64_t addr, uint64_t npages)
{
    if ((addr & (PG - 1)) || addr < pm->base)
        return -1;
    uint64_t first = (addr - pm->base) / PG;
    if (first > pm->npages || npages > pm->npages - first)
        return -1;
    for (uint64_t k = 0; k < npages; k++)
        if (!bit_get(pm, first + k))
            return -1;
    for (uint64_t k = 0; k < npages; k++)
        bit_clear(pm, first + k);
    pm->free_pages += npages;
    return 0;
}

uint64_t pmem_largest_run(const struct pmem *pm, uint64_t *start)
{
    uint64_t best = 0, best_at = 0, run = 0;
    for (uint64_t i = 0; i < pm->npages; i++) {
        if (bit_get(pm, i)) {
            run = 0;
            continue;
        }
        run++;
        if (run > best) {
            best = run;
            best_at = i + 1 - run;
        }
    }
    if (start)
        *start = best ? pm->base + best_at * PG : 0;
    return best;
}
