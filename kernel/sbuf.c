/* kernel/sbuf.c: the appending text writer (see kernel/sbuf.h). */
#include "kernel/sbuf.h"

#include <stdio.h>

void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
    if (b->len + 1 >= b->cap)
        return;
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    if (n > 0)
        b->len = b->len + (size_t)n >= b->cap ? b->cap - 1 : b->len + (size_t)n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}
