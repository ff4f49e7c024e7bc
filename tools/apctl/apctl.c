/* tools/apctl/apctl.c: the host tool that checks, packs and shows config
 * blobs. It compiles the kernel's own pure modules (kernel/cpio.c,
 * kernel/conf_parse.c, kernel/config.c), so a config it accepts is one the
 * appliance accepts, and every error reads the same in both places.
 */
#define _DEFAULT_SOURCE     /* scandir, alphasort */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include "kernel/config.h"
#include "kernel/cpio.h"
#include "tools/apctl/dbexport.h"

#define EXIT_INVALID APCTL_EXIT_INVALID
#define EXIT_USAGE APCTL_EXIT_USAGE
#define EXIT_IO APCTL_EXIT_IO

static const char usage_text[] =
"NAME\n"
"    apctl - check, pack and show appliance config blobs; export data disks\n"
"\n"
"SYNOPSIS\n"
"    apctl check FILE\n"
"    apctl pack FILE -o BLOB\n"
"    apctl show BLOB\n"
"    apctl db export DISK OUT\n"
"    apctl image build OUT.img [BLOB]\n"
"    apctl image set-config IMG BLOB|--default\n"
"    apctl image get-config IMG OUT\n"
"    apctl --help\n"
"\n"
"DESCRIPTION\n"
"    check  Validate the config file FILE (normally appliance.conf) exactly as\n"
"           the appliance does at boot, including the files it names, which\n"
"           must sit beside it (certificate and key are decoded and must\n"
"           match). Errors name the file as it will be named inside the\n"
"           blob (appliance.conf), the line and the column. Warnings (e.g.\n"
"           no inbound firewall rule) go to stderr; the status stays 0.\n"
"    pack   Validate FILE, then write BLOB: a cpio newc archive holding it\n"
"           as appliance.conf and every file and directory it names (paths\n"
"           relative to FILE's directory, e.g. tls/key.pem, www). Names\n"
"           starting with '.' inside directories are left out, except\n"
"           .well-known. Boot it with QEMU's -initrd BLOB.\n"
"    show   Validate BLOB and print the effective configuration: every\n"
"           setting, defaults included, in the config syntax. Secrets are\n"
"           never printed.\n"
"    db export\n"
"           Write the database of the data disk image DISK (with the\n"
"           appliance stopped) to OUT as one plain SQLite file, the commits\n"
"           still in its write-ahead log included, and check its integrity.\n"
"           DISK is only read. See docs/store.md.\n"
"    image  A bootable disk image (GPT; GRUB for BIOS and UEFI): build one\n"
"           with this build's kernel and BLOB (or the built-in config),\n"
"           replace its config blob in place (validated first; --default\n"
"           removes it) or copy it out. Runs tools/image.sh from the source\n"
"           tree apctl was built in. See docs/deploy.md.\n"
"\n"
"EXIT STATUS\n"
"    0  valid (check, show) or written (pack)\n"
"    1  the config or the blob is invalid; the reason is on stderr\n"
"    2  usage error\n"
"    3  a file could not be read or written\n"
"\n"
"SEE ALSO\n"
"    docs/config.md, docs/store.md, docs/deploy.md\n";

static struct conf_doc doc;

/* Files named by the config, read from the directory of appliance.conf
 * and kept for pack. */
#define FILE_MAX (64u << 20)
#define WALK_DEPTH 16
struct hfile { char path[CONFIG_PATH_MAX]; uint8_t *data; size_t len; uint32_t mtime; };
static struct hfile *files;
static size_t nfiles, capfiles;
static char basedir[4096];
static size_t hidden_skipped;

static int read_file(const char *path, uint8_t **out, size_t *len, size_t max);

static struct hfile *cached(const char *path)
{
    for (size_t i = 0; i < nfiles; i++)
        if (strcmp(files[i].path, path) == 0)
            return &files[i];
    return NULL;
}

static int dir_get(void *ctx, const char *path, const uint8_t **data, size_t *len)
{
    (void)ctx;
    struct hfile *f = cached(path);
    if (!f) {
        char full[4096 + CONFIG_PATH_MAX + 2];
        snprintf(full, sizeof full, "%s/%s", basedir, path);
        struct stat st;
        if (nfiles == CPIO_MAX_ENTRIES || strlen(path) >= CONFIG_PATH_MAX || stat(full, &st) != 0 ||
            !S_ISREG(st.st_mode))
            return -1;
        uint8_t *buf;
        size_t n;
        if (read_file(full, &buf, &n, FILE_MAX) < 0)
            return -1;
        if (nfiles == capfiles) {
            capfiles = capfiles ? capfiles * 2 : 64;
            files = realloc(files, capfiles * sizeof *files);
        }
        f = &files[nfiles++];
        snprintf(f->path, sizeof f->path, "%s", path);
        f->data = buf;
        f->len = n;
        /* Last-Modified for static files; clamped to the format's 32 bits. */
        f->mtime = st.st_mtime > 0 && st.st_mtime < 0xffffffffll ? (uint32_t)st.st_mtime : 0;
    }
    *data = f->data;
    *len = f->len;
    return 0;
}

/* Hidden names (".git", ".env") are never packed: a static site's
 * directory often holds them and they must not be served. .well-known
 * (RFC 8615) is the exception. */
static int hidden(const char *name)
{
    return name[0] == '.' && strcmp(name, ".well-known") != 0;
}

static int walk(const char *rel, int depth, config_file_fn fn, void *arg, int *count)
{
    char full[4096 + CONFIG_PATH_MAX + 2];
    snprintf(full, sizeof full, "%s/%s", basedir, rel);
    struct dirent **names;
    int n = scandir(full, &names, NULL, alphasort);
    if (n < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char child[CONFIG_PATH_MAX * 2];
        struct stat st;
        if (rc < 0 || !strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        int w1 = snprintf(child, sizeof child, "%s/%s", rel, name);
        int w2 = snprintf(full, sizeof full, "%s/%s", basedir, child);
        if (hidden(name)) {
            hidden_skipped++;
            continue;
        }
        if (w1 < 0 || (size_t)w1 >= CONFIG_PATH_MAX || w2 < 0 || (size_t)w2 >= sizeof full ||
            !cpio_name_ok(child)) {
            fprintf(stderr, "apctl: %s: name too long or unusable in the blob\n", child);
            rc = -1;
        } else if (stat(full, &st) != 0) {
            fprintf(stderr, "apctl: %s: %s\n", full, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            if (depth >= WALK_DEPTH) {
                fprintf(stderr, "apctl: %s: directories nested deeper than %d\n", child, WALK_DEPTH);
                rc = -1;
            } else {
                rc = walk(child, depth + 1, fn, arg, count);
            }
        } else if (S_ISREG(st.st_mode)) {
            const uint8_t *data;
            size_t len;
            if (dir_get(NULL, child, &data, &len) < 0 || fn(arg, child, data, len) < 0)
                rc = -1;
            else
                (*count)++;
        } else {
            fprintf(stderr, "apctl: %s: not a regular file or directory\n", child);
            rc = -1;
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int dir_list(void *ctx, const char *dir, config_file_fn fn, void *arg)
{
    (void)ctx;
    int count = 0;
    if (walk(dir, 0, fn, arg, &count) < 0)
        return -1;
    return count ? count : -1;
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

static void print_warnings(const struct config *c)
{
    char w[1024];
    if (config_warnings(c, w, sizeof w))
        fprintf(stderr, "%s", w);
}

/* Parse and validate the text of appliance.conf; prints the error. */
static int validate_text(const uint8_t *text, size_t len, struct config *c)
{
    char err[512];
    struct config_files resolver = { dir_get, dir_list, NULL };
    if (conf_parse(&doc, (const char *)text, len, CONFIG_FILE, err, sizeof err) < 0 ||
        config_build(c, &doc, &resolver, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    print_warnings(c);
    return 0;
}

/* Read appliance.conf at path and validate it with the files beside it.
 * Returns 0 (*text is the caller's to free) or an exit status. */
static uint32_t conf_mtime;

static int load_conf(const char *path, uint8_t **text, size_t *len, struct config *c)
{
    if (read_file(path, text, len, CONF_SOURCE_MAX) < 0)
        return EXIT_IO;
    struct stat st;
    conf_mtime = stat(path, &st) == 0 && st.st_mtime > 0 && st.st_mtime < 0xffffffffll ? (uint32_t)st.st_mtime : 0;
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
    static struct config c;
    int rc = load_conf(path, &text, &len, &c);
    if (rc)
        return rc;
    printf("%s: ok\n", path);
    free(text);
    return 0;
}

/* The archive being packed: a growing buffer of entries. */
struct packer { uint8_t *p; size_t len, cap; uint32_t ino; const char **paths; size_t npaths; };

static int pack_add(struct packer *pk, const char *path, uint32_t mode, const uint8_t *data, size_t len,
                    uint32_t mtime)
{
    for (size_t i = 0; i < pk->npaths; i++)
        if (strcmp(pk->paths[i], path) == 0)
            return 0;               /* named twice (a file inside a served directory) */
    size_t need = 110 + strlen(path) + 8 + len + 8;
    if (pk->len + need > CONFIG_BLOB_MAX) {
        fprintf(stderr, "apctl: the blob would exceed %u MiB at %s (the appliance's limit)\n",
                CONFIG_BLOB_MAX >> 20, path);
        return -1;
    }
    if (pk->len + need > pk->cap) {
        pk->cap = (pk->len + need) * 2;
        pk->p = realloc(pk->p, pk->cap);
    }
    pk->len += cpio_write_header(pk->p + pk->len, pk->cap - pk->len, path, mode, (uint32_t)len, ++pk->ino,
                                 mtime);
    memcpy(pk->p + pk->len, data, len);
    memset(pk->p + pk->len + len, 0, 4);
    pk->len += (len + 3) & ~(size_t)3;
    pk->paths = realloc(pk->paths, (pk->npaths + 1) * sizeof *pk->paths);
    pk->paths[pk->npaths++] = path;
    return 0;
}

static int pack_file_fn(void *arg, const char *path, const uint8_t *data, size_t len)
{
    /* path points into the walk's stack: keep the cached copy's name. */
    return pack_add(arg, cached(path)->path, 0100644, data, len, cached(path)->mtime);
}

static int cmd_pack(const char *path, const char *out)
{
    uint8_t *text;
    size_t len;
    static struct config c;
    int rc = load_conf(path, &text, &len, &c);
    if (rc)
        return rc;
    struct packer pk = { 0 };
    /* Static routes, two files per certificate, the migrations, JWT keys. */
    struct config_named named[CONFIG_ROUTES_MAX + 2 * (1 + CONFIG_TLS_HOSTS_MAX) + 1 + CONFIG_JWT_KEYS_MAX];
    size_t nnamed = config_named(&c, named, sizeof named / sizeof named[0]);
    rc = pack_add(&pk, CONFIG_FILE, 0100644, text, len, conf_mtime);
    hidden_skipped = 0;
    for (size_t i = 0; i < nnamed && rc == 0; i++) {
        const uint8_t *data;
        size_t n;
        if (named[i].is_dir)
            rc = dir_list(NULL, named[i].path, pack_file_fn, &pk) < 0 ? -1 : 0;
        else if (dir_get(NULL, named[i].path, &data, &n) < 0)
            rc = -1;
        else    /* A key is a secret: owner-only mode, for whoever unpacks it. */
            rc = pack_add(&pk, cached(named[i].path)->path, named[i].secret ? 0100600 : 0100644, data, n,
                          cached(named[i].path)->mtime);
    }
    free(text);
    if (rc == 0) {
        uint8_t trailer[128];
        size_t t = cpio_write_header(trailer, sizeof trailer, "TRAILER!!!", 0, 0, 0, 0);
        pk.p = realloc(pk.p, pk.len + t);
        memcpy(pk.p + pk.len, trailer, t);
        pk.len += t;
    }
    /* Check our own output with the reader the kernel uses. */
    char err[256];
    size_t count = 0;
    if (rc == 0 && cpio_validate(pk.p, pk.len, &count, err, sizeof err) < 0) {
        fprintf(stderr, "apctl: internal error, the packed blob does not validate: %s\n", err);
        rc = -1;
    }
    FILE *f = rc == 0 ? fopen(out, "wb") : NULL;
    if (rc == 0 && (!f || fwrite(pk.p, 1, pk.len, f) != pk.len || fclose(f) != 0)) {
        fprintf(stderr, "apctl: cannot write %s: %s\n", out, strerror(errno));
        rc = -1;
    }
    free(pk.p);
    free(pk.paths);
    if (rc < 0)
        return EXIT_IO;
    printf("%s: %zu bytes, %zu file%s", out, pk.len, count, count == 1 ? "" : "s");
    if (hidden_skipped)
        printf(" (%zu hidden name%s left out)", hidden_skipped, hidden_skipped == 1 ? "" : "s");
    printf("\n");
    return 0;
}

/* Read and validate BLOB into c: 0, or the exit status (reason printed,
 * after the file's name when named). */
static int load_valid_blob(const char *path, struct config *c, uint8_t **blob, int named)
{
    size_t len;
    char err[512];
    if (read_file(path, blob, &len, CONFIG_BLOB_MAX) < 0)
        return EXIT_IO;
    if (config_load_blob(c, &doc, *blob, len, err, sizeof err) < 0) {
        fprintf(stderr, "%s%s%s\n", named ? path : "", named ? ": " : "", err);
        free(*blob);
        return EXIT_INVALID;
    }
    return 0;
}

static int cmd_show(const char *path)
{
    uint8_t *blob;
    static struct config c;
    int rc = load_valid_blob(path, &c, &blob, 0);
    if (rc)
        return rc;
    static char out[CONFIG_SHOW_MAX];
    config_show(&c, out, sizeof out);
    fputs(out, stdout);
    print_warnings(&c);
    free(blob);
    return 0;
}

/* apctl image ...: tools/image.sh, found beside this build (apctl is
 * build/apctl, the script tools/image.sh, the kernel
 * build/appliance-stripped.elf); a blob is validated first, so an image
 * never gets one the appliance would refuse. */
static int cmd_image(int argc, char **argv)
{
    char self[4096], script[4200], kernel[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        perror("apctl: /proc/self/exe");
        return EXIT_IO;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(script, sizeof script, "%s/../tools/image.sh", self);
    snprintf(kernel, sizeof kernel, "%s/appliance-stripped.elf", self);
    char *args[6] = { script, argv[2], NULL, NULL, NULL, NULL };
    const char *blob = NULL;
    if (strcmp(argv[2], "build") == 0 && (argc == 4 || argc == 5)) {
        args[2] = argv[3];
        args[3] = kernel;
        args[4] = argc == 5 ? argv[4] : NULL;
        blob = args[4];
    } else if ((strcmp(argv[2], "set-config") == 0 || strcmp(argv[2], "get-config") == 0) && argc == 5) {
        args[2] = argv[3];
        args[3] = argv[4];
        if (strcmp(argv[2], "set-config") == 0 && strcmp(argv[4], "--default") != 0)
            blob = argv[4];
    } else {
        fprintf(stderr, "usage: apctl image build OUT.img [BLOB] | apctl image set-config IMG BLOB|--default | "
                "apctl image get-config IMG OUT\n");
        return EXIT_USAGE;
    }
    if (blob) {
        static struct config c;
        uint8_t *bytes;
        int rc = load_valid_blob(blob, &c, &bytes, 1);
        if (rc)
            return rc;
        free(bytes);
    }
    execv(script, args);
    fprintf(stderr, "apctl: cannot run %s: %s (apctl image needs the source tree it was built in)\n", script,
            strerror(errno));
    return EXIT_IO;
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
    if (argc == 5 && strcmp(argv[1], "db") == 0 && strcmp(argv[2], "export") == 0)
        return apctl_db_export(argv[3], argv[4]);
    if (argc >= 3 && strcmp(argv[1], "image") == 0)
        return cmd_image(argc, argv);
    fprintf(stderr, "usage: apctl check FILE | apctl pack FILE -o BLOB | apctl show BLOB | "
            "apctl db export DISK OUT | apctl image ... (apctl --help for more)\n");
    return EXIT_USAGE;
}
