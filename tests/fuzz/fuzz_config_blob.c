/* tests/fuzz/fuzz_config_blob.c: the whole path the kernel runs on a
 * config blob from the loader: archive check, appliance.conf found,
 * parsed, validated with the files and directories it names resolved in
 * the archive, then shown. Any crash or sanitizer report is a bug. */
#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"

static struct conf_doc doc;
static struct config c;
static char shown[CONFIG_SHOW_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    if (config_load_blob(&c, &doc, data, size, err, sizeof err) != 0)
        return 0;
    config_show(&c, shown, sizeof shown);
    config_warnings(&c, shown, sizeof shown);
    struct config_named named[CONFIG_ROUTES_MAX + 4];
    config_named(&c, named, sizeof named / sizeof named[0]);
    return 0;
}
