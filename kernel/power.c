/* kernel/power.c: power-off (see power.h). */
#include "kernel/power.h"

#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/intr.h"
#include "kernel/log.h"
#include "kernel/loop.h"

#define DEBUG_EXIT_PORT 0xf4

static struct acpi_power power_acpi;
static int power_debug_exit;

void power_init(const struct acpi_power *acpi, int use_debug_exit)
{
    power_acpi = *acpi;
    power_debug_exit = use_debug_exit;
}

/* ACPI 6.4 4.8.3.1.1 (PM1 status/enable: PWRBTN bit 8) and 4.8.3.2.1
 * (PM1 control: SCI_EN bit 0). */
#define PWRBTN (1u << 8)
#define SCI_EN 1u
static volatile int button;

static void sci_irq(void *arg)
{
    (void)arg;
    uint16_t sts = inw((uint16_t)power_acpi.pm1a_evt);
    if (sts & PWRBTN) {
        outw((uint16_t)power_acpi.pm1a_evt, PWRBTN);    /* write 1 to clear: the SCI drops */
        button = 1;
        loop_wake();
    }
}

int power_button_start(void)
{
    const struct acpi_power *a = &power_acpi;
    if (!a->found || a->hw_reduced || !a->pm1a_evt || a->pm1_evt_len < 4 || !a->pm1a_cnt || !a->sci_int) {
        log_info("power", "no ACPI fixed power button: shut down from the host by stopping the VM");
        return -1;
    }
    if (!(inw((uint16_t)a->pm1a_cnt) & SCI_EN) && a->smi_cmd) {
        /* Booted without firmware (PVH): the chipset is in legacy mode
         * until the OS asks for ACPI mode (ACPI 6.4 16.3.1). */
        outb((uint16_t)a->smi_cmd, a->acpi_enable);
        uint64_t deadline = clock_monotonic_ns() + 100000000ull;
        while (!(inw((uint16_t)a->pm1a_cnt) & SCI_EN) && clock_monotonic_ns() < deadline)
            cpu_pause();
    }
    if (!(inw((uint16_t)a->pm1a_cnt) & SCI_EN)) {
        log_warn("power", "the chipset did not enter ACPI mode: no power button");
        return -1;
    }
    uint16_t en_port = (uint16_t)(a->pm1a_evt + a->pm1_evt_len / 2);
    outw((uint16_t)a->pm1a_evt, PWRBTN);                /* a stale press */
    uint8_t vec = intr_alloc(sci_irq, NULL);
    /* The SCI is level-triggered and shareable; QEMU's MADT overrides
     * IRQ 9 to active high (ACPI's default would be active low). */
    if (!vec || ioapic_route((uint8_t)a->sci_int, vec, 1, 0) < 0) {
        log_warn("power", "cannot route the SCI (GSI %u): no power button", a->sci_int);
        return -1;
    }
    outw(en_port, (uint16_t)(inw(en_port) | PWRBTN));
    log_info("power", "ACPI power button on SCI %u: a press drains and powers off", a->sci_int);
    return 0;
}

int power_button_pressed(void)
{
    if (!button)
        return 0;
    button = 0;
    return 1;
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
