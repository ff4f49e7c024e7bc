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
"           the appliance does at boot, including the files it names, which\n"
"           must sit beside it. Errors name the file as it will be named\n"
"           inside the blob (appliance.conf), the line and the column.\n"
"    pack   Validate FILE, then write BLOB: a cpio newc archive holding it\n"
"           as appliance.conf and every file it names (paths relative to\n"
"           FILE's directory, e.g. tls/key.pem). Boot it with QEMU's\n"
"           -initrd BLOB.\n"
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

/* Files named by the config, read from the directory of appliance.conf
 * and kept for pack. */
#define MAX_FILES 64
#define FILE_MAX (16u << 20)
static struct { char path[CONFIG_PATH_MAX]; uint8_t *data; size_t len; } files[MAX_FILES];
static size_t nfiles;
static char basedir[4096];

static int read_file(const char *path, uint8_t **out, size_t *len, size_t max);

static int dir_get(void *ctx, const char *path, const uint8_t **data, size_t *len)
{
    (void)ctx;
    for (size_t i = 0; i < nfiles; i++) {
        if (strcmp(files[i].path, path) == 0) {
            *data = files[i].data;
            *len = files[i].len;
            return 0;
        }
    }
    char full[4096 + CONFIG_PATH_MAX + 2];
    snprintf(full, sizeof full, "%s/%s", basedir, path);
    struct stat st;
    if (nfiles == MAX_FILES || stat(full, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    uint8_t *buf;
    size_t n;
    if (read_file(full, &buf, &n, FILE_MAX) < 0)
        return -1;
    snprintf(files[nfiles].path, sizeof files[nfiles].path, "%s", path);
    files[nfiles].data = buf;
    files[nfiles].len = n;
    nfiles++;
    *data = buf;
    *len = n;
    return 0;
}

static void set_basedir(const char *conf_path)
{
    snprintf(basedir, sizeof basedir, "%s", conf_path);
    char *slash = strrchr(basedir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(basedir, ".");
}

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
    struct config_files resolver = { dir_get, NULL };
    if (conf_parse(&doc, (const char *)text, len, CONFIG_FILE, err, sizeof err) < 0 ||
        config_build(c, &doc, &resolver, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

/* Read appliance.conf at path and validate it with the files beside it.
 * Returns 0 (*text is the caller's to free) or an exit status. */
static int load_conf(const char *path, uint8_t **text, size_t *len, struct config *c)
{
    if (read_file(path, text, len, CONF_SOURCE_MAX) < 0)
        return EXIT_IO;
    set_basedir(path);
    if (validate_text(*text, *len, c) < 0) {
        free(*text);
        return EXIT_INVALID;
    }
    return 0;
}

static int cmd_check(const char *path)
{
    uint8_t *text;
    size_t len;
    struct config c;
    int rc = load_conf(path, &text, &len, &c);
    if (rc)
        return rc;
    printf("%s: ok\n", path);
    free(text);
    return 0;
}

static int cmd_pack(const char *path, const char *out)
{
    uint8_t *text;
    size_t len;
    struct config c;
    int rc = load_conf(path, &text, &len, &c);
    if (rc)
        return rc;
    const struct config_file *named[MAX_FILES];
    size_t nnamed = config_named_files(&c, named, MAX_FILES);
    size_t cap = len + 1024;
    for (size_t i = 0; i < nnamed; i++)
        cap += named[i]->len + 512;
    uint8_t *blob = calloc(1, cap);
    size_t n = cpio_write_header(blob, cap, CONFIG_FILE, 0100644, (uint32_t)len, 1);
    memcpy(blob + n, text, len);
    n += (len + 3) & ~(size_t)3;
    for (size_t i = 0; i < nnamed; i++) {
        /* The key is a secret: owner-only mode, for whoever unpacks it. */
        uint32_t mode = named[i] == &c.tls.key ? 0100600 : 0100644;
        n += cpio_write_header(blob + n, cap - n, named[i]->path, mode, (uint32_t)named[i]->len,
                               (uint32_t)i + 2);
        memcpy(blob + n, named[i]->data, named[i]->len);
        n += (named[i]->len + 3) & ~(size_t)3;
    }
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
