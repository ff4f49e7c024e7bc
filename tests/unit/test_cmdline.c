/* Unit tests of kernel/cmdline.c. */
#include "kernel/cmdline.h"
#include "tests/unit/check.h"

/* virtio_mmio.device values as QEMU microvm and Firecracker write them. */
static void test_virtio_mmio(void)
{
    uint64_t b, sz;
    uint32_t irq;
    CHECK(cmdline_virtio_mmio("512@0xfeb00e00:12", &b, &sz, &irq) == 0);
    CHECK_U64(b, 0xfeb00e00);
    CHECK_U64(sz, 512);
    CHECK_U64(irq, 12);
    CHECK(cmdline_virtio_mmio("4K@0xd0000000:5:2", &b, &sz, &irq) == 0);
    CHECK_U64(sz, 4096);
    CHECK_U64(b, 0xd0000000);
    CHECK_U64(irq, 5);
    CHECK(cmdline_virtio_mmio("1M@4096:255", &b, &sz, &irq) == 0 && sz == 1u << 20 && b == 4096);
    static const char *const bad[] = {
        "", "512", "512@", "512@0xfeb00e00", "512@0xfeb00e00:", "512@0xfeb00e00:0", "512@0xfeb00e00:256",
        "0@0x1000:5", "512@0x:5", "512@0xfeb00e00:12:", "512@0xfeb00e00:12x", "x@0x1000:5",
        "512@0xffffffffffffff00:5", "99999999999999999999@0:5", "17179869184G@0:5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(cmdline_virtio_mmio(bad[i], &b, &sz, &irq) == -1);
}

int main(void)
{
    static struct cmdline c;
    test_virtio_mmio();
    CHECK(cmdline_parse(&c, "log=debug  debugexit test.fault=pf console=ttyS0,115200 x= =y") == 0);
    CHECK_U64(c.nargs, 6);
    CHECK_STR(cmdline_get(&c, "log"), "debug");
    CHECK_STR(cmdline_get(&c, "debugexit"), "");
    CHECK_STR(cmdline_get(&c, "test.fault"), "pf");
    CHECK_STR(cmdline_get(&c, "console"), "ttyS0,115200");
    CHECK_STR(cmdline_get(&c, "x"), "");
    CHECK_STR(cmdline_get(&c, ""), "y");
    CHECK(cmdline_get(&c, "missing") == NULL);
    CHECK(cmdline_get(&c, "debug") == NULL);            /* whole keys only */

    /* The last occurrence wins, as on Linux for most options. */
    CHECK(cmdline_parse(&c, "log=info log=warn") == 0);
    CHECK_STR(cmdline_get(&c, "log"), "warn");
    /* Value keeps later '=' signs. */
    CHECK(cmdline_parse(&c, "virtio_mmio.device=4K@0xfeb00000:12") == 0);
    CHECK_STR(cmdline_get(&c, "virtio_mmio.device"), "4K@0xfeb00000:12");

    CHECK(cmdline_parse(&c, NULL) == 0);
    CHECK_U64(c.nargs, 0);
    CHECK(cmdline_parse(&c, "   \t  ") == 0);
    CHECK_U64(c.nargs, 0);

    /* Too long: truncated, reported, and what fitted is usable. */
    char longline[CMDLINE_MAX + 100];
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = 0;
    memcpy(longline, "log=warn ", 9);
    CHECK(cmdline_parse(&c, longline) == -1);
    CHECK_STR(cmdline_get(&c, "log"), "warn");
    CHECK_U64(c.nargs, 2);

    /* Too many words: the first CMDLINE_MAX_ARGS are kept. */
    char many[CMDLINE_MAX];
    size_t p = 0;
    for (int i = 0; i < CMDLINE_MAX_ARGS + 5; i++)
        p += (size_t)snprintf(many + p, sizeof many - p, "k%d=%d ", i, i);
    CHECK(cmdline_parse(&c, many) == -1);
    CHECK_U64(c.nargs, CMDLINE_MAX_ARGS);
    CHECK_STR(cmdline_get(&c, "k0"), "0");
    CHECK(cmdline_get(&c, "k40") == NULL);
    return check_done("test_cmdline");
}
