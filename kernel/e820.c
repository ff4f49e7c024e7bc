/* kernel/e820.c: memory map parsing (see e820.h). Pure C, no kernel state. */
#include "kernel/e820.h"

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

/* Insertion sort by start then merge: n is at most a few dozen. */
static size_t regions_normalise(struct mem_region *r, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct mem_region x = r[i];
        size_t j = i;
        while (j > 0 && r[j - 1].start > x.start) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && r[i].start <= r[m - 1].end) {
            if (r[i].end > r[m - 1].end)
                r[m - 1].end = r[i].end;
        } else {
            r[m++] = r[i];
        }
    }
    return m;
}

size_t mem_regions_subtract(struct mem_region *r, size_t n, size_t cap,
                            uint64_t start, uint64_t end)
{
    if (end <= start)
        return n;
    for (size_t i = 0; i < n; i++) {
        struct mem_region *x = &r[i];
        if (end <= x->start || start >= x->end)
            continue;
        if (start <= x->start && end >= x->end) {
            for (size_t k = i; k + 1 < n; k++)
                r[k] = r[k + 1];
            n--;
            i--;
        } else if (start <= x->start) {
            x->start = end;
        } else if (end >= x->end) {
            x->end = start;
        } else {
            uint64_t upper_end = x->end;
            x->end = start;
            if (n < cap) {
                for (size_t k = n; k > i + 1; k--)
                    r[k] = r[k - 1];
                r[i + 1].start = end;
                r[i + 1].end = upper_end;
                n++;
                i++;
            }
        }
    }
    return n;
}

size_t e820_usable(const struct e820_entry *in, size_t n, uint64_t min_addr,
                   uint64_t max_addr, struct mem_region *out, size_t cap)
{
    size_t m = 0;
    for (size_t i = 0; i < n && m < cap; i++) {
        if (in[i].type != E820_RAM || in[i].size == 0)
            continue;
        uint64_t s = in[i].addr;
        uint64_t e = in[i].addr + in[i].size;
        if (e < s)                      /* wraps: clamp to the top */
            e = UINT64_MAX;
        if (s < min_addr)
            s = min_addr;
        if (e > max_addr)
            e = max_addr;
        s = align_up(s, PAGE_SIZE);
        e = align_down(e, PAGE_SIZE);
        if (e > s) {
            out[m].start = s;
            out[m].end = e;
            m++;
        }
    }
    m = regions_normalise(out, m);
    /* A range that is both RAM and reserved is reserved: firmware that
     * overlaps entries means "do not touch". */
    for (size_t i = 0; i < n; i++) {
        if (in[i].type == E820_RAM || in[i].type == 0 || in[i].size == 0)
            continue;
        uint64_t e = in[i].addr + in[i].size;
        if (e < in[i].addr)
            e = UINT64_MAX;
        m = mem_regions_subtract(out, m, cap, align_down(in[i].addr, PAGE_SIZE),
                                 e > UINT64_MAX - PAGE_SIZE ? UINT64_MAX : align_up(e, PAGE_SIZE));
    }
    return m;
}

uint64_t e820_ram_total(const struct e820_entry *in, size_t n)
{
    struct mem_region r[64];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 64; i++) {
        if (in[i].type != E820_RAM || in[i].size == 0)
            continue;
        uint64_t e = in[i].addr + in[i].size;
        r[m].start = in[i].addr;
        r[m].end = e < in[i].addr ? UINT64_MAX : e;
        m++;
    }
    m = regions_normalise(r, m);
    uint64_t total = 0;
    for (size_t i = 0; i < m; i++)
        total += r[i].end - r[i].start;
    return total;
}
