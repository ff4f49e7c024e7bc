/* libFuzzer target: raw bytes -> kernel/cpio.c. Whatever the input, the
 * reader must not read out of bounds (ASan), overflow (UBSan) or crash, and
 * every entry of an archive it accepts must lie inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[200];
    size_t n;
    if (cpio_validate(data, size, &n, err, sizeof err) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        struct cpio_entry e;
        if (cpio_entry_at(data, size, i, &e) != 0)
            __builtin_trap();
        if ((const uint8_t *)e.name < data || e.data < data || e.data + e.size > data + size)
            __builtin_trap();
        struct cpio_entry f;
        if (cpio_find(data, size, e.name, &f) != 0 || f.data != e.data)
            __builtin_trap();
    }
    return 0;
}
