/* libFuzzer target: raw bytes -> kernel/conf_parse.c -> kernel/config.c.
 * No input may crash, read out of bounds or overflow; an accepted document
 * must be a well-formed tree; a config that validates must print (show)
 * text that parses and validates to the same effective config. */
#include <stddef.h>
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (conf_parse(&doc, (const char *)data, size, "fuzz.conf", err, sizeof err) != 0)
        return 0;
    walk(doc.first, 0);
    struct config c, again;
    if (config_build(&c, &doc, NULL, err, sizeof err) != 0)
        return 0;
    char shown[4096], shown2[4096];
    size_t n = config_show(&c, shown, sizeof shown);
    if (conf_parse(&doc, shown, n, "show.conf", err, sizeof err) != 0 ||
        config_build(&again, &doc, NULL, err, sizeof err) != 0)
        __builtin_trap();
    config_show(&again, shown2, sizeof shown2);
    if (strcmp(shown, shown2) != 0)
        __builtin_trap();
    return 0;
}
