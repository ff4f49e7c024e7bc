/* kernel/power.h: power-off and failure stops.
 *
 * Exit codes (docs/architecture.md). With the `debugexit` command-line flag
 * and QEMU's `-device isa-debug-exit,iobase=0xf4,iosize=4`, QEMU exits with
 * status ((0x10 | code) << 1) | 1, so success (33) is never confused with
 * QEMU's own error status 1:
 *   POWER_EXIT_OK 0 -> 33        clean power-off
 *   POWER_EXIT_PANIC 1 -> 35     panic()
 *   POWER_EXIT_EXCEPTION 2 -> 37 CPU exception
 *   POWER_EXIT_CONFIG 3 -> 39    invalid config blob (later issue)
 *   POWER_EXIT_SELFTEST 4 -> 41  a boot self-test failed
 * Without debugexit, a clean power-off goes through ACPI S5 (QEMU exits 0)
 * and a failure halts the CPU with interrupts off, leaving the console
 * readable.
 */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

#include "kernel/acpi.h"

enum power_exit {
    POWER_EXIT_OK = 0,
    POWER_EXIT_PANIC = 1,
    POWER_EXIT_EXCEPTION = 2,
    POWER_EXIT_CONFIG = 3,
    POWER_EXIT_SELFTEST = 4,
};

void power_init(const struct acpi_power *acpi, int use_debug_exit);
_Noreturn void power_off(enum power_exit code);
_Noreturn void power_halt(void);
/* The ACPI power button (QEMU's system_powerdown): switch the chipset to
 * ACPI mode, enable the fixed PWRBTN event and route the SCI. A press
 * only sets a flag (interrupt context) and wakes the loop;
 * power_button_pressed() returns 1 once per press. 0, or -1 (logged) when
 * the machine has no fixed power button (e.g. hardware-reduced ACPI). */
int power_button_start(void);
int power_button_pressed(void);

#endif
