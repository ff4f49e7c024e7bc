/* kernel/timer.c: binary min-heap of timers (see timer.h). The id of a
 * timer is its insertion sequence number, unique for the set's lifetime. */
#include "kernel/timer.h"

static int ent_less(const struct timer_ent *a, const struct timer_ent *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void swap(struct timer_ent *a, struct timer_ent *b)
{
    struct timer_ent t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(struct timer_set *ts, unsigned i)
{
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!ent_less(&ts->heap[i], &ts->heap[p]))
            break;
        swap(&ts->heap[i], &ts->heap[p]);
        i = p;
    }
}

static void sift_down(struct timer_set *ts, unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < ts->n && ent_less(&ts->heap[l], &ts->heap[m]))
            m = l;
        if (r < ts->n && ent_less(&ts->heap[r], &ts->heap[m]))
            m = r;
        if (m == i)
            return;
        swap(&ts->heap[i], &ts->heap[m]);
        i = m;
    }
}

static void remove_at(struct timer_set *ts, unsigned i)
{
    ts->n--;
    if (i == ts->n)
        return;
    ts->heap[i] = ts->heap[ts->n];
    sift_down(ts, i);
    sift_up(ts, i);
}

void timer_set_init(struct timer_set *ts)
{
    ts->n = 0;
    ts->next_seq = 1;
}

uint64_t timer_add(struct timer_set *ts, uint64_t deadline, timer_fn fn, void *arg)
{
    if (ts->n == TIMER_MAX)
        return 0;
    struct timer_ent *e = &ts->heap[ts->n];
    e->deadline = deadline;
    e->seq = ts->next_seq++;
    e->fn = fn;
    e->arg = arg;
    ts->n++;
    sift_up(ts, ts->n - 1);
    return ts->next_seq - 1;
}

int timer_cancel(struct timer_set *ts, uint64_t id)
{
    for (unsigned i = 0; i < ts->n; i++) {
        if (ts->heap[i].seq == id) {
            remove_at(ts, i);
            return 0;
        }
    }
    return -1;
}

uint64_t timer_next(const struct timer_set *ts)
{
    return ts->n ? ts->heap[0].deadline : UINT64_MAX;
}

unsigned timer_run(struct timer_set *ts, uint64_t now)
{
    unsigned ran = 0;
    while (ts->n && ts->heap[0].deadline <= now) {
        struct timer_ent e = ts->heap[0];
        remove_at(ts, 0);
        e.fn(e.arg);
        ran++;
    }
    return ran;
}
