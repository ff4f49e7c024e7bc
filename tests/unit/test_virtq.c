/* Unit tests of drivers/virtq.c against a fake device on fake memory:
 * descriptor accounting, chains, 16-bit index wrap-around, notification
 * suppression, and a device that returns garbage. */
#include <stdlib.h>
#include "drivers/virtq.h"
#include "tests/unit/check.h"

/* The device side, written from the spec, not from virtq.c. */
struct fake_dev { uint16_t last_avail; uint16_t used_idx; };

static int dev_take(struct virtq *q, struct fake_dev *d, uint16_t *head)
{
    volatile uint16_t *avail = q->avail;
    if (avail[1] == d->last_avail)
        return 0;
    *head = avail[2 + (d->last_avail % q->size)];
    d->last_avail++;
    return 1;
}

static void dev_complete(struct virtq *q, struct fake_dev *d, uint32_t id, uint32_t len)
{
    volatile uint32_t *elems = (volatile uint32_t *)(q->used + 2);
    elems[2 * (d->used_idx % q->size)] = id;
    elems[2 * (d->used_idx % q->size) + 1] = len;
    d->used_idx++;
    q->used[1] = d->used_idx;
}

static unsigned chain_len(struct virtq *q, uint16_t head, unsigned *nwrite)
{
    unsigned n = 1;
    *nwrite = 0;
    uint16_t i = head;
    for (;;) {
        if (q->desc[i].flags & VIRTQ_DESC_F_WRITE)
            (*nwrite)++;
        if (!(q->desc[i].flags & VIRTQ_DESC_F_NEXT))
            return n;
        i = q->desc[i].next;
        n++;
    }
}

int main(void)
{
    enum { N = 8 };
    size_t ds, as, us;
    virtq_area_sizes(N, &ds, &as, &us);
    CHECK_U64(ds, 128);
    CHECK_U64(as, 22);
    CHECK_U64(us, 70);
    void *desc = aligned_alloc(16, ds), *avail = aligned_alloc(16, 32), *used = aligned_alloc(16, 80);
    void *cookies[N];
    struct virtq q;
    CHECK(virtq_init(&q, 6, desc, avail, used, cookies) == -1);
    CHECK(virtq_init(&q, 0, desc, avail, used, cookies) == -1);
    memset(used, 0, 80);
    CHECK(virtq_init(&q, N, desc, avail, used, cookies) == 0);
    CHECK_U64(virtq_free_descs(&q), N);
    struct fake_dev dev = { 0, 0 };

    /* A 3-buffer chain: 1 readable, 2 writable. */
    struct virtq_buf b[3] = { { 0x1000, 10 }, { 0x2000, 20 }, { 0x3000, 30 } };
    int tok = 1;
    int h = virtq_add_chain(&q, b, 1, 2, &tok);
    CHECK(h >= 0);
    CHECK_U64(virtq_free_descs(&q), N - 3);
    uint16_t head;
    CHECK(!dev_take(&q, &dev, &head));           /* not published yet */
    CHECK(virtq_publish(&q) == true);
    CHECK(!virtq_publish(&q));                   /* nothing new: no kick */
    CHECK(dev_take(&q, &dev, &head) && head == h);
    unsigned nw;
    CHECK_U64(chain_len(&q, head, &nw), 3);
    CHECK_U64(nw, 2);
    CHECK_U64(q.desc[head].addr, 0x1000);
    CHECK(!virtq_has_used(&q));
    uint32_t len = 0;
    CHECK(virtq_get_used(&q, &len, NULL) == NULL);
    dev_complete(&q, &dev, head, 25);
    CHECK(virtq_has_used(&q));
    CHECK(virtq_get_used(&q, &len, NULL) == &tok);
    CHECK_U64(len, 25);
    CHECK_U64(virtq_free_descs(&q), N);

    /* Fill the queue exactly; one more fails; errors do not leak. */
    int toks[N];
    for (int i = 0; i < N; i++)
        CHECK(virtq_add_chain(&q, b, 0, 1, &toks[i]) >= 0);
    CHECK(virtq_add_chain(&q, b, 0, 1, &tok) == -1);
    CHECK(virtq_add_chain(&q, b, 0, 0, &tok) == -1);
    CHECK(virtq_add_chain(&q, b, 0, 1, NULL) == -1);
    virtq_publish(&q);
    /* Complete out of order. */
    uint16_t heads[N];
    for (int i = 0; i < N; i++)
        CHECK(dev_take(&q, &dev, &heads[i]));
    for (int i = N - 1; i >= 0; i--)
        dev_complete(&q, &dev, heads[i], (uint32_t)i);
    for (int i = N - 1; i >= 0; i--) {
        CHECK(virtq_get_used(&q, &len, NULL) == &toks[i]);
        CHECK_U64(len, (uint64_t)i);
    }
    CHECK_U64(virtq_free_descs(&q), N);

    /* Wrap-around: 200,000 chains of mixed length through a size-8 queue
     * take the 16-bit indexes past 65535 three times. */
    srand(3);
    unsigned long done = 0, added = 0;
    int live[N] = { 0 };
    int *cook = calloc(300000, sizeof(int));
    while (done < 200000) {
        unsigned want = 1 + (unsigned)(rand() % 3);
        if (virtq_free_descs(&q) >= want && added < 300000) {
            struct virtq_buf bb[3] = { { added, 1 }, { added, 2 }, { added, 3 } };
            h = virtq_add_chain(&q, bb, want - 1, 1, &cook[added]);
            CHECK(h >= 0 && h < N);
            cook[added] = (int)want;
            added++;
        }
        if (rand() % 2) {
            virtq_publish(&q);
            while (dev_take(&q, &dev, &head)) {
                CHECK(!live[head]);
                live[head] = 1;
                dev_complete(&q, &dev, head, chain_len(&q, head, &nw));
            }
        }
        void *c;
        while ((c = virtq_get_used(&q, &len, NULL)) != NULL) {
            CHECK_U64(len, (uint64_t)*(int *)c);
            done++;
        }
        for (int i = 0; i < N; i++)
            live[i] = 0;
    }
    CHECK(q.avail_idx != 0 || added % 65536 == 0);
    CHECK(added > 3 * 65536);
    /* Drain: everything comes back. */
    virtq_publish(&q);
    while (dev_take(&q, &dev, &head))
        dev_complete(&q, &dev, head, chain_len(&q, head, &nw));
    while (virtq_get_used(&q, &len, NULL))
        ;
    CHECK_U64(virtq_free_descs(&q), N);

    /* Suppression: the device sets NO_NOTIFY -> publish says no kick; the
     * driver's NO_INTERRUPT flag lands in avail->flags. */
    q.used[0] = VIRTQ_USED_F_NO_NOTIFY;
    CHECK(virtq_add_chain(&q, b, 0, 1, &tok) >= 0);
    CHECK(virtq_publish(&q) == false);
    q.used[0] = 0;
    virtq_set_interrupts(&q, false);
    CHECK_U64(q.avail[0], VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_set_interrupts(&q, true);
    CHECK_U64(q.avail[0], 0);
    CHECK(dev_take(&q, &dev, &head));

    /* A broken device: ids out of range or not outstanding are skipped and
     * counted, the real completion still comes through. */
    unsigned bad = 0;
    dev_complete(&q, &dev, 999, 1);
    dev_complete(&q, &dev, (head + 1) % N, 1);
    dev_complete(&q, &dev, head, 7);
    CHECK(virtq_get_used(&q, &len, &bad) == &tok);
    CHECK_U64(bad, 2);
    CHECK_U64(len, 7);
    CHECK(virtq_get_used(&q, &len, &bad) == NULL);
    CHECK_U64(virtq_free_descs(&q), N);
    free(cook);
    free(desc); free(avail); free(used);
    return check_done("test_virtq");
}
