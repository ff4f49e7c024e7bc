/* Unit tests of the Multiboot2 boot information reader (kernel/multiboot2.c):
 * an MBI as GRUB writes one (command line, loader name, a module, a memory
 * map, both RSDP copies) becomes PVH start info; malformed ones (tags past
 * the end, no end tag, no memory map, a module ending before it starts,
 * short map entries) are refused with a reason. */
#include <stdlib.h>

#include "kernel/multiboot2.h"
#include "tests/unit/check.h"

static uint8_t mbi[4096];
static size_t len;

static void put32(size_t at, uint32_t v) { memcpy(mbi + at, &v, 4); }
static void put64(size_t at, uint64_t v) { memcpy(mbi + at, &v, 8); }

static size_t tag(uint32_t type, const void *body, uint32_t n)
{
    size_t at = len;
    put32(at, type);
    put32(at + 4, 8 + n);
    if (n)
        memcpy(mbi + at + 8, body, n);
    len += (8 + n + 7) & ~7u;
    return at;
}

static void start(void)
{
    memset(mbi, 0, sizeof mbi);
    len = 8;
}

static void finish(void)
{
    tag(0, NULL, 0);
    put32(0, (uint32_t)len);
}

static size_t memmap(unsigned n)
{
    uint8_t body[8 + 24 * 4] = { 0 };
    memcpy(body, &(uint32_t){ 24 }, 4);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = i ? 0x100000 : 0, s = i ? 0x7f00000 : 0x9fc00;
        memcpy(body + 8 + 24 * i, &a, 8);
        memcpy(body + 8 + 24 * i + 8, &s, 8);
        memcpy(body + 8 + 24 * i + 16, &(uint32_t){ 1 }, 4);
    }
    return tag(6, body, 8 + 24 * n);
}

static void test_grub_like(void)
{
    static struct mb2_boot b;
    const char *why = NULL;
    start();
    size_t cl = tag(1, "log=debug", 10);
    tag(2, "GRUB 2.06", 10);
    uint8_t mod[16] = { 0 };
    put32(0, 0);
    memcpy(mod, &(uint32_t){ 0x400000 }, 4);
    memcpy(mod + 4, &(uint32_t){ 0x401200 }, 4);
    memcpy(mod + 8, "config", 7);
    tag(3, mod, 15);
    memmap(2);
    uint8_t rsdp1[20] = "RSD PTR v1", rsdp2[36] = "RSD PTR v2";
    tag(14, rsdp1, 20);
    tag(15, rsdp2, 36);
    tag(21, "x", 1);                            /* an unknown tag: skipped */
    finish();
    CHECK(multiboot2_read(mbi, sizeof mbi, &b, &why) == 0);
    CHECK_U64(b.si.magic, PVH_START_MAGIC);
    CHECK_U64(b.si.version, 1);
    CHECK_STR((const char *)(uintptr_t)b.si.cmdline_paddr, "log=debug");
    CHECK_U64(b.si.cmdline_paddr, (uint64_t)(uintptr_t)(mbi + cl + 8));
    CHECK_STR(b.loader, "GRUB 2.06");
    CHECK_U64(b.si.nr_modules, 1);
    const struct hvm_modlist_entry *m = (const void *)(uintptr_t)b.si.modlist_paddr;
    CHECK_U64(m->paddr, 0x400000);
    CHECK_U64(m->size, 0x1200);
    CHECK_U64(b.si.memmap_entries, 2);
    const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)b.si.memmap_paddr;
    CHECK_U64(e[1].addr, 0x100000);
    CHECK_U64(e[1].size, 0x7f00000);
    CHECK_U64(e[1].type, 1);
    /* The 2.0 RSDP is preferred, and copied (the MBI is nobody's memory). */
    CHECK_U64(b.si.rsdp_paddr, (uint64_t)(uintptr_t)b.rsdp);
    CHECK(memcmp(b.rsdp, "RSD PTR v2", 10) == 0);
    CHECK(b.tags & (1u << 15) && b.tags & (1u << 21));
}

static void expect_bad(const char *want)
{
    static struct mb2_boot b;
    const char *why = NULL;
    CHECK(multiboot2_read(mbi, sizeof mbi, &b, &why) == -1);
    CHECK_STR(why, want);
}

static void test_malformed(void)
{
    start();
    memmap(1);
    put32(0, (uint32_t)len);                    /* no end tag */
    expect_bad("the boot information has no end tag");
    start();
    finish();
    expect_bad("the boot loader gave no memory map");
    start();
    size_t t = memmap(1);
    put32(t + 4, 4096);                         /* runs past the end */
    finish();
    expect_bad("a boot information tag runs past the end");
    start();
    t = memmap(1);
    put32(t + 8, 16);                           /* entries shorter than the spec's 24 */
    finish();
    expect_bad("the memory map's entries are not 24 bytes or more");
    start();
    memmap(1);
    uint8_t mod[8];
    memcpy(mod, &(uint32_t){ 0x2000 }, 4);
    memcpy(mod + 4, &(uint32_t){ 0x1000 }, 4);
    tag(3, mod, 8);
    finish();
    expect_bad("a module ends before it starts");
    start();
    memmap(1);
    finish();
    put32(0, 8);
    expect_bad("the boot information's size is out of range");
    static struct mb2_boot b;
    const char *why = NULL;
    CHECK(multiboot2_read(mbi, 12, &b, &why) == -1);
    put64(0, 0);
}

int main(void)
{
    test_grub_like();
    test_malformed();
    return check_done("test_multiboot2");
}
