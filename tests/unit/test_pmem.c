/* Unit tests of kernel/pmem.c on fake memory: only the bitmap is real. */
#include <stdlib.h>
#include "kernel/pmem.h"
#include "tests/unit/check.h"

#define MiB (1ULL << 20)
#define PG 4096ULL

int main(void)
{
    struct pmem pm;
    uint64_t base = MiB, end = 65 * MiB;
    size_t words = pmem_bitmap_words(base, end);
    CHECK_U64(words, (64 * MiB / PG) / 64);
    uint64_t *bits = calloc(words, 8);
    pmem_init(&pm, bits, base, end);
    CHECK_U64(pm.free_pages, 0);
    CHECK_U64(pmem_alloc(&pm, 1, 1), 0);               /* nothing added yet */

    pmem_add_region(&pm, 2 * MiB, 10 * MiB);           /* 2048 pages */
    pmem_add_region(&pm, 20 * MiB + 100, 30 * MiB);    /* unaligned start shrinks */
    CHECK_U64(pm.free_pages, 2048 + (10 * MiB - PG) / PG);
    uint64_t total = pm.free_pages;
    pmem_add_region(&pm, 2 * MiB, 3 * MiB);            /* adding twice counts once */
    CHECK_U64(pm.free_pages, total);

    uint64_t a = pmem_alloc(&pm, 1, 1);
    CHECK_U64(a, 2 * MiB);
    uint64_t b = pmem_alloc(&pm, 3, 1);
    CHECK_U64(b, 2 * MiB + PG);
    uint64_t c = pmem_alloc(&pm, 4, 512);              /* 2 MiB aligned */
    CHECK_U64(c % (2 * MiB), 0);
    CHECK_U64(c, 4 * MiB);
    CHECK_U64(pm.free_pages, total - 8);
    CHECK(pmem_free(&pm, b, 3) == 0);
    CHECK(pmem_free(&pm, b, 3) == -1);                 /* double free */
    CHECK(pmem_free(&pm, b + 1, 1) == -1);             /* unaligned */
    CHECK(pmem_free(&pm, 100 * MiB, 1) == -1);         /* outside */
    CHECK(pmem_free(&pm, 0, 1) == -1);                 /* below base */
    CHECK_U64(pmem_alloc(&pm, 3, 1), b);               /* first fit reuses */

    /* Reserve a middle chunk: the largest run is the upper region minus it. */
    pmem_reserve(&pm, 21 * MiB, 21 * MiB + 1);         /* one page, rounded out */
    uint64_t at;
    uint64_t run = pmem_largest_run(&pm, &at);
    CHECK_U64(at, 21 * MiB + PG);
    CHECK_U64(run, (30 * MiB - 21 * MiB - PG) / PG);
    /* Too large a request fails; the exact largest run succeeds. */
    CHECK_U64(pmem_alloc(&pm, run + 1, 1), 0);
    CHECK_U64(pmem_alloc(&pm, run, 1), at);
    CHECK_U64(pmem_alloc(&pm, 0, 1), 0);
    CHECK_U64(pmem_alloc(&pm, 1, 3), 0);               /* not a power of two */

    /* Exhaust everything page by page, then free all: counts come back. */
    uint64_t before = pm.free_pages, got = 0;
    uint64_t *list = calloc(before, 8);
    for (;;) {
        uint64_t p = pmem_alloc(&pm, 1, 1);
        if (!p)
            break;
        CHECK(p >= base && p < end && p % PG == 0);
        list[got++] = p;
    }
    CHECK_U64(got, before);
    CHECK_U64(pm.free_pages, 0);
    for (uint64_t i = 0; i < got; i++)
        CHECK(pmem_free(&pm, list[i], 1) == 0);
    CHECK_U64(pm.free_pages, before);
    free(list);
    free(bits);
    return check_done("test_pmem");
}
