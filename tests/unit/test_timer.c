/* Unit tests of kernel/timer.c, including a randomised run against a
 * brute-force reference. */
#include <stdlib.h>
#include "kernel/timer.h"
#include "tests/unit/check.h"

static int order[1000];
static int norder;
static struct timer_set ts;

static void rec(void *arg) { order[norder++] = (int)(intptr_t)arg; }
static void readd(void *arg)
{
    rec(arg);
    if ((intptr_t)arg == 100)
        timer_add(&ts, 5, rec, (void *)(intptr_t)101);   /* already due: same run */
}

int main(void)
{
    timer_set_init(&ts);
    CHECK_U64(timer_next(&ts), UINT64_MAX);
    CHECK_U64(timer_run(&ts, 1000), 0);
    timer_add(&ts, 30, rec, (void *)3);
    timer_add(&ts, 10, rec, (void *)1);
    uint64_t id2 = timer_add(&ts, 20, rec, (void *)2);
    timer_add(&ts, 10, rec, (void *)11);                 /* same deadline: FIFO */
    uint64_t id9 = timer_add(&ts, 15, rec, (void *)9);
    CHECK(id2 > 0 && id9 > 0 && id2 != id9);
    CHECK_U64(timer_next(&ts), 10);
    CHECK(timer_cancel(&ts, id9) == 0);
    CHECK(timer_cancel(&ts, id9) == -1);
    CHECK_U64(timer_run(&ts, 9), 0);
    CHECK_U64(timer_run(&ts, 20), 3);
    CHECK_U64(norder, 3);
    CHECK(order[0] == 1 && order[1] == 11 && order[2] == 2);
    CHECK_U64(timer_next(&ts), 30);
    CHECK(timer_cancel(&ts, id2) == -1);                 /* already ran */

    norder = 0;
    timer_add(&ts, 5, readd, (void *)100);
    CHECK_U64(timer_run(&ts, 6), 2);
    CHECK(order[0] == 100 && order[1] == 101);

    /* Full set: the next add fails with 0; after one run there is room. */
    timer_set_init(&ts);
    for (int i = 0; i < TIMER_MAX; i++)
        CHECK(timer_add(&ts, (uint64_t)(TIMER_MAX - i), rec, NULL) != 0);
    CHECK_U64(timer_add(&ts, 1, rec, NULL), 0);
    norder = 0;
    CHECK_U64(timer_run(&ts, 1), 1);
    CHECK(timer_add(&ts, 1, rec, NULL) != 0);

    /* Random adds, cancels and runs against a reference list. */
    srand(7);
    timer_set_init(&ts);
    struct { uint64_t id, deadline; int live; } ref[600];
    int nref = 0;
    uint64_t now = 0;
    for (int step = 0; step < 3000; step++) {
        int op = rand() % 10;
        if (op < 5 && ts.n < TIMER_MAX && nref < 600) {
            uint64_t d = now + (uint64_t)(rand() % 50);
            uint64_t id = timer_add(&ts, d, rec, (void *)(intptr_t)nref);
            ref[nref].id = id;
            ref[nref].deadline = d;
            ref[nref].live = 1;
            nref++;
        } else if (op < 7 && nref > 0) {
            int k = rand() % nref;
            CHECK(timer_cancel(&ts, ref[k].id) == (ref[k].live ? 0 : -1));
            ref[k].live = 0;
        } else {
            now += (uint64_t)(rand() % 20);
            norder = 0;
            unsigned ran = timer_run(&ts, now);
            unsigned want = 0;
            for (int k = 0; k < nref; k++)
                if (ref[k].live && ref[k].deadline <= now)
                    want++;
            CHECK_U64(ran, want);
            for (int k = 0; k < norder; k++) {
                CHECK(ref[order[k]].live && ref[order[k]].deadline <= now);
                if (k > 0)
                    CHECK(ref[order[k - 1]].deadline <= ref[order[k]].deadline);
                ref[order[k]].live = 0;
            }
        }
        if (nref == 600)
            nref = 0, timer_set_init(&ts);
    }
    return check_done("test_timer");
}
