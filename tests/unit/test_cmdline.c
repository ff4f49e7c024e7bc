/* Unit tests of kernel/cmdline.c. */
#include "kernel/cmdline.h"
#include "tests/unit/check.h"

int main(void)
{
    static struct cmdline c;
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
