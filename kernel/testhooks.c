/* kernel/testhooks.c: see testhooks.h. noinline keeps each fault in a
 * named frame so the backtrace test can resolve it with addr2line. */
#include "kernel/testhooks.h"

#include <stdint.h>
#include <string.h>
#include "kernel/log.h"
#include "kernel/panic.h"

__attribute__((noinline)) static void testhooks_page_fault(void)
{
    /* 1 TiB: outside the identity map (PML4 entry 2 is not present). */
    *(volatile uint64_t *)(uintptr_t)0x10000000000ULL = 1;
}

__attribute__((noinline)) static void testhooks_gp_fault(void)
{
    *(volatile uint64_t *)(uintptr_t)0x8000000000000000ULL = 1;
}

__attribute__((noinline)) static void testhooks_divide(void)
{
    /* Both operands volatile: GCC turns 1 / x into a compare, not a div. */
    volatile int num = 7, zero = 0;
    volatile int x = num / zero;
    (void)x;
}

void testhooks_fault(const char *kind)
{
    log_warn("test", "raising test fault '%s' as asked on the command line", kind);
    if (strcmp(kind, "pf") == 0)
        testhooks_page_fault();
    else if (strcmp(kind, "gp") == 0)
        testhooks_gp_fault();
    else if (strcmp(kind, "ud") == 0)
        __asm__ volatile("ud2");
    else if (strcmp(kind, "de") == 0)
        testhooks_divide();
    else if (strcmp(kind, "panic") == 0)
        panic("test.fault=panic requested");
    else
        log_warn("test", "unknown test.fault kind '%s' (pf, gp, ud, de, panic)", kind);
}
