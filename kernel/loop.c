/* kernel/loop.c: the event loop (see loop.h). */
#include "kernel/loop.h"

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/klimits.h"

static struct { loop_poll_fn fn; void *arg; } pollers[LOOP_MAX_POLLERS];
static unsigned npollers;
static struct timer_set loop_timers;
static int timers_ready;
static volatile int wake_pending;
static uint64_t turns, halts;

static void timers_lazy_init(void)
{
    if (!timers_ready) {
        timer_set_init(&loop_timers);
        timers_ready = 1;
    }
}

int loop_add_poller(loop_poll_fn fn, void *arg)
{
    if (npollers == LOOP_MAX_POLLERS)
        return -1;
    pollers[npollers].fn = fn;
    pollers[npollers].arg = arg;
    npollers++;
    return 0;
}

uint64_t loop_timer_add(uint64_t deadline_ns, timer_fn fn, void *arg)
{
    timers_lazy_init();
    return timer_add(&loop_timers, deadline_ns, fn, arg);
}

int loop_timer_cancel(uint64_t id)
{
    timers_lazy_init();
    return timer_cancel(&loop_timers, id);
}

void loop_wake(void) { wake_pending = 1; }

void loop_stats(uint64_t *t, uint64_t *h)
{
    *t = turns;
    *h = halts;
}

_Noreturn void loop_run(void)
{
    timers_lazy_init();
    for (;;) {
        turns++;
        uint64_t now = clock_monotonic_ns();
        int work = timer_run(&loop_timers, now) > 0;
        for (unsigned i = 0; i < npollers; i++)
            work |= pollers[i].fn(pollers[i].arg) != 0;

        /* Check for wake-ups with interrupts off, then sti;hlt as a pair:
         * an interrupt that lands after the check still ends the hlt. */
        cpu_cli();
        if (work || wake_pending) {
            wake_pending = 0;
            cpu_sti();
            continue;
        }
        now = clock_monotonic_ns();
        uint64_t next = timer_next(&loop_timers);
        if (next > now + LOOP_MAX_IDLE_NS)
            next = now + LOOP_MAX_IDLE_NS;
        clock_arm_deadline(next);
        halts++;
        cpu_sti_hlt();
    }
}
