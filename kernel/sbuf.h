/* kernel/sbuf.h: an appending text writer (pure): formatted text into a
 * caller's buffer that never overflows, stays NUL-terminated, and whose
 * len stops at cap - 1 (the rest is cut). One writer for the config's
 * `show`, the firewall's counters, the metrics page and HTTP heads.
 * Start with { buf, cap, 0 } and cap >= 1. */
#ifndef KERNEL_SBUF_H
#define KERNEL_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf { char *p; size_t cap, len; };
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap);

#endif
