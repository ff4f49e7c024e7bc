/* kernel/timer.h: one-shot timers on the monotonic clock. Pure.
 *
 * A caller-owned set of at most TIMER_MAX pending timers kept in a binary
 * min-heap on (deadline, insertion order): timers due at the same time run
 * in the order they were added. Callbacks run from timer_run on the event
 * loop, never from an interrupt, and may add or cancel timers. Host-tested.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdint.h>
#include "kernel/klimits.h"

typedef void (*timer_fn)(void *arg);
struct timer_ent { uint64_t deadline, seq; timer_fn fn; void *arg; };
struct timer_set { struct timer_ent heap[TIMER_MAX]; unsigned n; uint64_t next_seq; };

void timer_set_init(struct timer_set *ts);
/* Returns an id (> 0) for timer_cancel, or 0 when the set is full. */
uint64_t timer_add(struct timer_set *ts, uint64_t deadline, timer_fn fn, void *arg);
/* 0 cancelled, -1 unknown id (already ran or never existed). */
int timer_cancel(struct timer_set *ts, uint64_t id);
/* Earliest deadline, or UINT64_MAX with none pending. */
uint64_t timer_next(const struct timer_set *ts);
/* Runs every timer due at now (deadline <= now); returns how many ran. A
 * timer added by a callback with a deadline <= now runs in the same call. */
unsigned timer_run(struct timer_set *ts, uint64_t now);

#endif
