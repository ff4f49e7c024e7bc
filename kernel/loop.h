/* kernel/loop.h: the one cooperative event loop.
 *
 * Each turn: run due timers, call every poller (devices, then the layers
 * above, in registration order: kernel/main.c registers them), then, with
 * no work noted, arm the LAPIC one-shot for the next deadline and halt
 * until an interrupt. Interrupt handlers call loop_wake() only. Pollers
 * return nonzero when they did work so the loop goes round again before
 * sleeping. Nothing here blocks.
 */
#ifndef KERNEL_LOOP_H
#define KERNEL_LOOP_H

#include <stdint.h>
#include "kernel/timer.h"

typedef int (*loop_poll_fn)(void *arg);

/* 0 or -1 when LOOP_MAX_POLLERS are registered already. */
int loop_add_poller(loop_poll_fn fn, void *arg);
/* Timers on the loop's set (timer.h semantics); deadline in monotonic ns. */
uint64_t loop_timer_add(uint64_t deadline_ns, timer_fn fn, void *arg);
int loop_timer_cancel(uint64_t id);
/* From interrupt handlers: there is work, do not sleep. */
void loop_wake(void);
/* Never returns. */
_Noreturn void loop_run(void);
/* Turns taken and halts done, for diagnostics and the idle test. */
void loop_stats(uint64_t *turns, uint64_t *halts);

#endif
