/* libFuzzer target: raw bytes -> kernel/conf_parse.c -> kernel/config.c.
 * No input may crash, read out of bounds or overflow; an accepted document
 * must be a well-formed tree; a config that validates must print (show)
 * text that parses and validates to the same effective config. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/config.h"

static struct conf_doc doc;

static void walk(int16_t i, int depth)
{
    for (unsigned guard = 0; i >= 0; guard++) {
        if ((uint32_t)i >= doc.nnodes || depth > CONF_MAX_DEPTH + 1 || guard > CONF_MAX_NODES)
            __builtin_trap();
        const struct conf_node *n = &doc.nodes[i];
        if ((uint32_t)n->first_arg + n->nargs > doc.nargs || !n->name)
            __builtin_trap();
        walk(n->first_child, depth + 1);
        i = n->next;
    }
}

/* A resolver where every .pem and .html file exists and every directory
 * holds two migrations, so the validators behind files and directories
 * (tls, static, migrations) are reached too. */
static const char pem[] = "-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n";

static int fake_get(void *ctx, const char *path, const uint8_t **data, size_t *len)
{
    (void)ctx;
    size_t k = strlen(path);
    if (k < 5 || (strcmp(path + k - 4, ".pem") != 0 && strcmp(path + k - 5, ".html") != 0))
        return -1;
    *data = (const uint8_t *)pem;
    *len = sizeof pem - 1;
    return 0;
}

static int fake_list(void *ctx, const char *dir, config_file_fn fn, void *arg)
{
    static char a[CONFIG_PATH_MAX + 16], b[CONFIG_PATH_MAX + 16];
    (void)ctx;
    if (strstr(dir, ".html") || strstr(dir, ".pem"))
        return -1;
    snprintf(a, sizeof a, "%s/001_a.sql", dir);
    snprintf(b, sizeof b, "%s/002_b.sql", dir);
    if (fn(arg, a, (const uint8_t *)"x", 1) < 0 || fn(arg, b, (const uint8_t *)"y", 1) < 0)
        return -1;
    return 2;
}

static const struct config_files files = { fake_get, fake_list, NULL };
static struct config c, again;
static char shown[CONFIG_SHOW_MAX], shown2[CONFIG_SHOW_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (conf_parse(&doc, (const char *)data, size, "fuzz.conf", err, sizeof err) != 0)
        return 0;
    walk(doc.first, 0);
    if (config_build(&c, &doc, &files, err, sizeof err) != 0)
        return 0;
    /* show's text is a config with the same effect. */
    size_t n = config_show(&c, shown, sizeof shown);
    if (conf_parse(&doc, shown, n, "show.conf", err, sizeof err) != 0 ||
        config_build(&again, &doc, &files, err, sizeof err) != 0)
        __builtin_trap();
    config_show(&again, shown2, sizeof shown2);
    if (strcmp(shown, shown2) != 0)
        __builtin_trap();
    config_warnings(&c, shown2, sizeof shown2);
    return 0;
}
