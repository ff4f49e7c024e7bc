/* drivers/virtq.c: split virtqueue (see virtq.h). x86 is TSO: stores are
 * seen in order and loads are not reordered with older loads, so the
 * barriers virtio asks for (2.7.13) reduce to compiler barriers except
 * where a store must be visible before a later load (mfence). */
#include "drivers/virtq.h"

#define compiler_barrier() __asm__ volatile("" ::: "memory")
#define full_barrier() __asm__ volatile("mfence" ::: "memory")

void virtq_area_sizes(uint16_t size, size_t *desc, size_t *avail, size_t *used)
{
    *desc = 16u * size;
    *avail = 6u + 2u * size;        /* flags, idx, ring[size], used_event */
    *used = 6u + 8u * size;         /* flags, idx, ring[size], avail_event */
}

int virtq_init(struct virtq *q, uint16_t size, void *desc, void *avail, void *used,
               void **cookies)
{
    if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
        return -1;
    q->size = size;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->cookies = cookies;
    for (uint16_t i = 0; i < size; i++) {
        q->desc[i].next = (uint16_t)(i + 1);
        q->desc[i].flags = 0;
        q->cookies[i] = NULL;
    }
    q->free_head = 0;
    q->num_free = size;
    q->avail_idx = 0;
    q->last_used = 0;
    q->published = 0;
    q->avail[0] = 0;
    q->avail[1] = 0;
    return 0;
}

int virtq_add_chain(struct virtq *q, const struct virtq_buf *bufs, unsigned nout,
                    unsigned nin, void *cookie)
{
    unsigned n = nout + nin;
    if (n == 0 || n > q->num_free || !cookie)
        return -1;
    uint16_t head = q->free_head, i = head, last = head;
    for (unsigned k = 0; k < n; k++) {
        volatile struct virtq_desc *d = &q->desc[i];
        d->addr = bufs[k].addr;
        d->len = bufs[k].len;
        d->flags = (uint16_t)((k < nout ? 0 : VIRTQ_DESC_F_WRITE) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        last = i;
        i = d->next;
    }
    q->free_head = q->desc[last].next;
    q->num_free = (uint16_t)(q->num_free - n);
    q->cookies[head] = cookie;
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    q->avail_idx++;
    return head;
}

bool virtq_publish(struct virtq *q)
{
    if (q->avail_idx == q->published)
        return false;
    /* 2.7.13: descriptors and ring entries before the index. */
    compiler_barrier();
    q->avail[1] = q->avail_idx;
    q->published = q->avail_idx;
    /* The index store must be visible before we read the device's
     * NO_NOTIFY flag, or we may skip a kick the device needs (2.7.13.4). */
    full_barrier();
    return !(q->used[0] & VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_has_used(const struct virtq *q)
{
    return q->used[1] != q->last_used;
}

void *virtq_get_used(struct virtq *q, uint32_t *len, unsigned *bad)
{
    for (;;) {
        uint16_t used_idx = q->used[1];
        if (used_idx == q->last_used)
            return NULL;
        /* Read the element only after seeing the index (2.7.13.2). */
        compiler_barrier();
        const volatile uint32_t *e = (const volatile uint32_t *)(q->used + 2) +
                                     2 * (q->last_used & (q->size - 1));
        uint32_t id = e[0], l = e[1];
        q->last_used++;
        if (id >= q->size || !q->cookies[id]) {
            if (bad)
                (*bad)++;
            continue;
        }
        void *cookie = q->cookies[id];
        q->cookies[id] = NULL;
        /* Return the chain to the free list, bounded by the queue size so a
         * corrupt NEXT loop cannot spin. */
        uint16_t i = (uint16_t)id, n = 1;
        while ((q->desc[i].flags & VIRTQ_DESC_F_NEXT) && n < q->size) {
            i = q->desc[i].next;
            n++;
        }
        q->desc[i].next = q->free_head;
        q->free_head = (uint16_t)id;
        q->num_free = (uint16_t)(q->num_free + n);
        *len = l;
        return cookie;
    }
}

void virtq_set_interrupts(struct virtq *q, bool on)
{
    q->avail[0] = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    /* Turning interrupts on is followed by a re-check of the used ring:
     * the flag store must be visible before that load, or the device may
     * complete the last buffer while still seeing NO_INTERRUPT. */
    if (on)
        full_barrier();
}

unsigned virtq_free_descs(const struct virtq *q) { return q->num_free; }
