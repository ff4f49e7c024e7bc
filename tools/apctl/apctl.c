/* tools/apctl/apctl.c: the host tool that checks, packs and shows config
 * blobs. It compiles the kernel's own pure modules (kernel/cpio.c,
 * kernel/conf_parse.c, kernel/config.c), so a config it accepts is one the
 * appliance accepts, and every error reads the same in both places.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel/config.h"
#include "kernel/cpio.h"

#define EXIT_INVALID 1
#define EXIT_USAGE 2
#define EXIT_IO 3

static const char usage_text[] =
"NAME\n"
"    apctl - check, pack and show appliance config blobs\n"
"\n"
"SYNOPSIS\n"
"    apctl check FILE\n"
"    apctl pack FILE -o BLOB\n"
"    apctl show BLOB\n"
"    apctl --help\n"
"\n"
"DESCRIPTION\n"
"    check  Validate the config file FILE (normally appliance.conf) exactly as\n"
"           the appliance does at boot. Errors name the file as it will be\n"
"           named inside the blob (appliance.conf), the line and the column.\n"
"    pack   Validate FILE, then write BLOB: a cpio newc archive holding it\n"
"           as appliance.conf. Boot it with QEMU's -initrd BLOB.\n"
"    show   Validate BLOB and print the effective configuration: every\n"
"           setting, defaults included, in the config syntax. Secrets are\n"
"           never printed.\n"
"\n"
"EXIT STATUS\n"
"    0  valid (check, show) or written (pack)\n"
"    1  the config or the blob is invalid; the reason is on stderr\n"
"    2  usage error\n"
"    3  a file could not be read or written\n"
"\n"
"SEE ALSO\n"
"    docs/config.md\n";

static struct conf_doc doc;

static int read_file(const char *path, uint8_t **out, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "apctl: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                fprintf(stderr, "apctl: %s is larger than %zu bytes\n", path, max);
                free(buf);
                fclose(f);
                return -1;
            }
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "apctl: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Parse and validate the text of appliance.conf; prints the error. */
static int validate_text(const uint8_t *text, size_t len, struct config *c)
{
    char err[512];
    if (conf_parse(&doc, (const char *)text, len, CONFIG_FILE, err, sizeof err) < 0 ||
        config_build(c, &doc, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_check(const char *path)
{
    uint8_t *text;
    size_t len;
    struct config c;
    if (read_file(path, &text, &len, CONF_SOURCE_MAX) < 0)
        return EXIT_IO;
    int rc = validate_text(text, len, &c) < 0 ? EXIT_INVALID : 0;
    if (rc == 0)
        printf("%s: ok\n", path);
    free(text);
    return rc;
}

static int cmd_pack(const char *path, const char *out)
{
    uint8_t *text;
    size_t len;
    struct config c;
    if (read_file(path, &text, &len, CONF_SOURCE_MAX) < 0)
        return EXIT_IO;
    if (validate_text(text, len, &c) < 0) {
        free(text);
        return EXIT_INVALID;
    }
    size_t cap = len + 1024;
    uint8_t *blob = calloc(1, cap);
    size_t n = cpio_write_header(blob, cap, CONFIG_FILE, 0100644, (uint32_t)len, 1);
    memcpy(blob + n, text, len);
    n += (len + 3) & ~(size_t)3;
    n += cpio_write_header(blob + n, cap - n, "TRAILER!!!", 0, 0, 0);
    free(text);
    /* Check our own output with the reader the kernel uses. */
    char err[256];
    size_t count;
    if (cpio_validate(blob, n, &count, err, sizeof err) < 0) {
        fprintf(stderr, "apctl: internal error, the packed blob does not validate: %s\n", err);
        free(blob);
        return EXIT_IO;
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(blob, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "apctl: cannot write %s: %s\n", out, strerror(errno));
        free(blob);
        return EXIT_IO;
    }
    free(blob);
    printf("%s: %zu bytes, %zu file%s\n", out, n, count, count == 1 ? "" : "s");
    return 0;
}

static int cmd_show(const char *path)
{
    uint8_t *blob;
    size_t len;
    struct config c;
    char err[512];
    if (read_file(path, &blob, &len, 64u << 20) < 0)
        return EXIT_IO;
    if (config_load_blob(&c, &doc, blob, len, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        free(blob);
        return EXIT_INVALID;
    }
    char out[CONF_TEXT_MAX];
    config_show(&c, out, sizeof out);
    fputs(out, stdout);
    free(blob);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return cmd_check(argv[2]);
    if (argc == 5 && strcmp(argv[1], "pack") == 0 && strcmp(argv[3], "-o") == 0)
        return cmd_pack(argv[2], argv[4]);
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return cmd_show(argv[2]);
    fprintf(stderr, "usage: apctl check FILE | apctl pack FILE -o BLOB | apctl show BLOB "
            "(apctl --help for more)\n");
    return EXIT_USAGE;
}
