/* kernel/panic.h: stop on an internal invariant broken (never on external
 * input: that is rejected and counted). Prints the message and a backtrace,
 * then power_off(POWER_EXIT_PANIC). Callable from any context. */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
