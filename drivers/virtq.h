/* drivers/virtq.h: the split virtqueue (virtio 1.2 section 2.7), driver side.
 * Pure: it touches only the ring memory it is given, so host unit tests
 * drive it against a fake device (tests/unit/test_virtq.c).
 *
 * Memory: three areas the caller allocates (physically contiguous, zeroed,
 * identity-mapped, so a pointer is the device address): descriptors
 * (16 * size bytes, 16-aligned), available ring (6 + 2 * size, 2-aligned),
 * used ring (6 + 8 * size, 4-aligned). virtq_area_sizes gives the sizes.
 *
 * Ownership: a chain added with a cookie belongs to the device until
 * virtq_get_used returns that cookie; the buffers' memory must stay valid
 * until then. Free descriptors are kept on a list threaded through
 * desc.next. Indexes are free-running 16-bit counters (2.7.6, 2.7.8):
 * ring slot = idx & (size - 1); "how many" = (uint16_t)(a - b).
 *
 * Event suppression (2.7.7, flag form): virtq_set_interrupts(false) sets
 * VIRTQ_AVAIL_F_NO_INTERRUPT; virtq_publish returns whether the device wants
 * a notification (VIRTQ_USED_F_NO_NOTIFY clear).
 *
 * Context: event loop only (not reentrant; interrupt handlers do not touch
 * rings).
 */
#ifndef DRIVERS_VIRTQ_H
#define DRIVERS_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_MAX_SIZE 32768

struct virtq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct virtq_used_elem { uint32_t id, len; };

/* One buffer of a chain: device-readable (out) or device-writable (in). */
struct virtq_buf { uint64_t addr; uint32_t len; };

struct virtq {
    uint16_t size;                  /* power of two, <= VIRTQ_MAX_SIZE */
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail;       /* [0] flags, [1] idx, [2..] ring */
    volatile uint16_t *used;        /* [0] flags, [1] idx, then elems */
    uint16_t free_head, num_free;
    uint16_t avail_idx;             /* our copy of avail->idx */
    uint16_t last_used;             /* next used idx we consume */
    uint16_t published;             /* avail_idx at the last publish */
    void **cookies;                 /* size entries, by head descriptor */
};

void virtq_area_sizes(uint16_t size, size_t *desc, size_t *avail, size_t *used);
/* 0, or -1 when size is not a power of two in 1..VIRTQ_MAX_SIZE. */
int virtq_init(struct virtq *q, uint16_t size, void *desc, void *avail, void *used,
               void **cookies);
/* Add one chain: nout readable buffers then nin writable ones. Returns the
 * head index, or -1 when fewer than nout + nin descriptors are free (or the
 * chain is empty, or cookie is NULL). Not visible to the device until
 * virtq_publish. */
int virtq_add_chain(struct virtq *q, const struct virtq_buf *bufs, unsigned nout,
                    unsigned nin, void *cookie);
/* Make added chains visible; returns true when the device asked to be
 * notified (the caller then writes the notify register). */
bool virtq_publish(struct virtq *q);
/* Next completed chain: its cookie (the chain's descriptors are free again)
 * and the bytes the device wrote in *len; NULL when none. A used element
 * naming a descriptor that is not a live head (a broken device) is
 * skipped and counted in *bad if bad is not NULL. */
void *virtq_get_used(struct virtq *q, uint32_t *len, unsigned *bad);
bool virtq_has_used(const struct virtq *q);
void virtq_set_interrupts(struct virtq *q, bool on);
unsigned virtq_free_descs(const struct virtq *q);

#endif
