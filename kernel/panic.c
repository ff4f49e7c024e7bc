/* kernel/panic.c: see panic.h. */
#include "kernel/panic.h"

#include <stdarg.h>
#include "kernel/arch.h"
#include "kernel/intr.h"
#include "kernel/log.h"
#include "kernel/power.h"

_Noreturn void panic(const char *fmt, ...)
{
    cpu_cli();
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_ERROR, "PANIC", fmt, ap);
    va_end(ap);
    intr_backtrace((uint64_t)(uintptr_t)__builtin_frame_address(0));
    power_off(POWER_EXIT_PANIC);
}
