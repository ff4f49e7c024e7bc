/* libFuzzer target: raw bytes -> the data disk's label (store/layout.c).
 * The first 8 bytes are the disk's size, the next 512 the label sector.
 * Whatever the bytes: no out-of-bounds access; a label taken as ours has
 * its regions in order, adjacent, MiB-aligned and inside the disk; and a
 * layout planned for any size encodes to a label that decodes back to
 * itself. */
#include <string.h>
#include "store/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t disk = 0;
    uint8_t label[LAYOUT_LABEL_BYTES] = { 0 };
    if (size < 8)
        return 0;
    memcpy(&disk, data, 8);
    memcpy(label, data + 8, size - 8 < sizeof label ? size - 8 : sizeof label);
    struct layout l;
    char why[200];
    if (layout_decode(label, disk, &l, why, sizeof why) == LAYOUT_OURS) {
        uint64_t end = LAYOUT_RESERVED;
        for (int r = 0; r < LAYOUT_REGIONS; r++) {
            if (l.region[r].start != end || l.region[r].len == 0 || l.region[r].len % (1u << 20) ||
                l.region[r].start + l.region[r].len > disk || l.region[r].start + l.region[r].len < end)
                __builtin_trap();
            end += l.region[r].len;
        }
    }
    struct layout plan, back;
    if (layout_plan(disk, &plan) == 0) {
        layout_encode(&plan, label);
        if (layout_decode(label, disk, &back, why, sizeof why) != LAYOUT_OURS || memcmp(&plan, &back, sizeof plan))
            __builtin_trap();
    }
    return 0;
}
