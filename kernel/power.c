/* kernel/power.c: power-off (see power.h). */
#include "kernel/power.h"

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/log.h"

#define DEBUG_EXIT_PORT 0xf4

static struct acpi_power power_acpi;
static int power_debug_exit;

void power_init(const struct acpi_power *acpi, int use_debug_exit)
{
    power_acpi = *acpi;
    power_debug_exit = use_debug_exit;
}

_Noreturn void power_halt(void)
{
    for (;;) {
        cpu_cli();
        __asm__ volatile("hlt");
    }
}

static void acpi_s5(void)
{
    const struct acpi_power *a = &power_acpi;
    if (!a->found || !a->s5_found)
        return;
    uint8_t typ = a->slp_typ_s5 & 7;
    if (a->hw_reduced && a->sleep_ctl.addr) {
        /* ACPI 6.4 4.8.3.7: SLP_TYP in bits 4:2, SLP_EN bit 5. */
        uint8_t v = (uint8_t)((typ << 2) | (1 << 5));
        if (a->sleep_ctl.space == 1)
            outb((uint16_t)a->sleep_ctl.addr, v);
        else if (a->sleep_ctl.space == 0)
            *(volatile uint8_t *)(uintptr_t)a->sleep_ctl.addr = v;
    }
    if (a->pm1a_cnt) {
        /* ACPI 6.4 4.8.3.2.1: SLP_TYP bits 12:10, SLP_EN bit 13. */
        outw((uint16_t)a->pm1a_cnt, (uint16_t)((typ << 10) | (1 << 13)));
    }
}

_Noreturn void power_off(enum power_exit code)
{
    cpu_cli();
    /* Say it first: with debugexit, QEMU is gone after the port write. */
    if (code == POWER_EXIT_OK)
        log_info("power", "powering off");
    else
        log_error("power", "stopped (exit code %d); system halted", (int)code);
    if (power_debug_exit)
        outl(DEBUG_EXIT_PORT, 0x10u | (unsigned)code);
    if (code == POWER_EXIT_OK) {
        acpi_s5();
        /* The machine goes off asynchronously (QEMU finishes the current
         * translation block first): give it a moment before saying no. */
        uint64_t until = clock_monotonic_ns() + 500000000ULL;
        while (clock_monotonic_ns() < until)
            cpu_pause();
        log_error("power", "ACPI power-off did not take effect; halting");
    }
    power_halt();
}
