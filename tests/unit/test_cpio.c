/* Unit tests of kernel/cpio.c: archives built here entry by entry, then
 * broken one way at a time; each error is checked by its message. */
#include <stdlib.h>
#include "kernel/cpio.h"
#include "tests/unit/check.h"

static uint8_t arc[8192];
static size_t alen;

static void add(const char *name, uint32_t mode, const char *data)
{
    size_t dl = data ? strlen(data) : 0;
    alen += cpio_write_header(arc + alen, sizeof arc - alen, name, mode, (uint32_t)dl, (uint32_t)alen,
                             1700000000u + (uint32_t)alen);
    memcpy(arc + alen, data ? data : "", dl);
    alen += (dl + 3) & ~(size_t)3;
}

static void start(void)
{
    memset(arc, 0, sizeof arc);
    alen = 0;
}

static void build(void)
{
    start();
    add("appliance.conf", 0100644, "network { dhcp }\n");
    add("www", 0040755, NULL);
    add("www/index.html", 0100644, "<h1>hi</h1>");
    add("empty", 0100644, "");
    add("TRAILER!!!", 0, NULL);
}

static int validate(size_t len, char *err)
{
    size_t n;
    return cpio_validate(arc, len, &n, err, 200);
}

#define EXPECT_ERR(len, msg) do { char e_[200] = ""; CHECK(validate(len, e_) == -1); \
    CHECK(strstr(e_, msg) != NULL); if (!strstr(e_, msg)) fprintf(stderr, "  got: %s\n", e_); } while (0)

int main(void)
{
    char err[200];
    size_t n = 99;
    build();
    CHECK(cpio_validate(arc, alen, &n, err, sizeof err) == 0);
    CHECK_U64(n, 4);
    struct cpio_entry e;
    CHECK(cpio_find(arc, alen, "www/index.html", &e) == 0);
    CHECK(e.size == 11 && memcmp(e.data, "<h1>hi</h1>", 11) == 0 && !e.is_dir);
    CHECK(e.mtime >= 1700000000u && e.mtime < 1700001000u);   /* the header's mtime field */
    CHECK(cpio_find(arc, alen, "www", &e) == 0 && e.is_dir);
    CHECK(cpio_find(arc, alen, "empty", &e) == 0 && e.size == 0);
    CHECK(cpio_find(arc, alen, "missing", &e) == -1);
    CHECK(cpio_find(arc, alen, "TRAILER!!!", &e) == -1);
    CHECK(cpio_entry_at(arc, alen, 0, &e) == 0);
    CHECK_STR(e.name, "appliance.conf");
    CHECK(cpio_entry_at(arc, alen, 3, &e) == 0);
    CHECK_STR(e.name, "empty");
    CHECK(cpio_entry_at(arc, alen, 4, &e) == -1);
    /* Zero padding after the trailer (block-padded archives) is fine. */
    CHECK(cpio_validate(arc, alen + 512, &n, err, sizeof err) == 0);

    /* Every truncation fails, never reads past the end (ASan watches). */
    for (size_t cut = 0; cut < alen; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, arc, cut);
        CHECK(cpio_validate(copy, cut, &n, err, sizeof err) == -1);
        free(copy);
    }
    EXPECT_ERR(0, "archive offset 0: truncated header");

    build();
    arc[3] = '2';
    EXPECT_ERR(alen, "archive offset 0: bad magic (want 070701, a cpio newc archive)");
    build();
    arc[6 + 8 * 6 + 3] = 'g';
    EXPECT_ERR(alen, "archive offset 54: header field 6 is not 8 hex digits");
    build();
    arc[alen + 5] = 1;
    EXPECT_ERR(alen + 8, "data after the TRAILER!!! entry");

    /* A data size larger than what is left. */
    build();
    memcpy(arc + 6 + 8 * 6, "0000FFFF", 8);
    EXPECT_ERR(alen, "'appliance.conf' has 65535 bytes of data but the archive ends first");
    /* A name size of 1 (empty name), too long, or not NUL-terminated. */
    build();
    memcpy(arc + 6 + 8 * 11, "00000001", 8);
    EXPECT_ERR(alen, "name size 1 out of range 2-256");
    build();
    memcpy(arc + 6 + 8 * 11, "00001000", 8);
    EXPECT_ERR(alen, "name size 4096 out of range");
    build();
    memcpy(arc + 6 + 8 * 11, "00000005", 8);   /* "appl" + 'i' where NUL is expected */
    EXPECT_ERR(alen, "name is not one NUL-terminated string");

    /* Unsafe names, other file types, directory with data, duplicates,
     * missing trailer. */
    const char *bad_names[] = { "/etc/passwd", "../up", "a/../b", "a//b", "./a", "a/", "a/." };
    for (unsigned i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        start();
        add(bad_names[i], 0100644, "x");
        add("TRAILER!!!", 0, NULL);
        EXPECT_ERR(alen, "unsafe name");
    }
    start();
    add("link", 0120777, "target");
    add("TRAILER!!!", 0, NULL);
    EXPECT_ERR(alen, "'link' is not a regular file or directory (mode 120777)");
    start();
    add("d", 0040755, "data");
    add("TRAILER!!!", 0, NULL);
    EXPECT_ERR(alen, "directory 'd' has data");
    start();
    add("a", 0100644, "1");
    add("b", 0100644, "2");
    add("a", 0100644, "3");
    add("TRAILER!!!", 0, NULL);
    EXPECT_ERR(alen, "'a' appears twice");
    start();
    add("a", 0100644, "1");
    EXPECT_ERR(alen, "archive ends without its TRAILER!!! entry");

    /* The header writer refuses names over the limit. */
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_U64(cpio_write_header(arc, sizeof arc, longname, 0100644, 0, 0, 0), 0);
    CHECK_U64(cpio_write_header(arc, 50, "short", 0100644, 0, 0, 0), 0);
    return check_done("test_cpio");
}
