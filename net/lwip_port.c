/* net/lwip_port.c: what lwIP needs from the system in NO_SYS mode:
 * sys_now() in milliseconds, randomness for ports and sequence numbers,
 * diagnostics and assertions (see arch/cc.h). */
#include <stdarg.h>
#include <stdio.h>
#include "kernel/kernel.h"
#include "lwip/arch.h"
#include "lwip/sys.h"

u32_t sys_now(void)
{
    return (u32_t)(clock_monotonic_ns() / 1000000u);
}

uint32_t net_lwip_rand(void)
{
    /* ISNs and ephemeral ports want unpredictability: RFC 6528. */
    uint32_t v;
    if (csprng_fill(&v, sizeof v) < 0)
        v = rand_weak_u32();
    return v;
}

void net_lwip_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_DEBUG, "lwip", fmt, ap);
    va_end(ap);
}

_Noreturn void net_lwip_assert(const char *msg, const char *file, int line)
{
    panic("lwip assertion \"%s\" failed at %s:%d", msg, file, line);
}
