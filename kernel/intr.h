/* kernel/intr.h: the IDT, interrupt dispatch and the exception dump.
 *
 * Exceptions (vectors 0-31) print vector, name, error code, RIP, CR2, CR3,
 * all registers and a frame-pointer backtrace, then stop the machine with
 * POWER_EXIT_EXCEPTION. Device interrupts go to handlers registered with
 * intr_register; a handler only acknowledges the device and notes work
 * (loop_wake) — the work itself runs on the event loop. EOI is sent by the
 * dispatcher after the handler.
 */
#ifndef KERNEL_INTR_H
#define KERNEL_INTR_H

#include <stdint.h>

struct intr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

typedef void (*intr_handler)(void *arg);

void intr_init(void);
/* vector in 0x40..0xdf; returns 0 or -1 if taken or out of range. */
int intr_register(uint8_t vector, intr_handler fn, void *arg);
/* Take the next free vector in 0x40..0xdf for fn; returns it, or 0 when
 * all are taken. */
uint8_t intr_alloc(intr_handler fn, void *arg);
/* Give back a vector from intr_alloc/intr_register (0 is ignored). */
void intr_free(uint8_t vector);
/* Route IOAPIC input gsi (legacy PCI INTx: the interrupt line the firmware
 * wrote) to vector on this CPU. Level-triggered, active-high is what QEMU's
 * PIIX and ICH9 PIRQ routing presents. 0 or -1 (gsi out of range). The
 * I/O APIC whose range holds gsi: those ioapic_add named (the MADT's), or
 * the one at the architectural default 0xfec00000 with GSIs from 0. */
int ioapic_route(uint8_t gsi, uint8_t vector, int level, int active_low);
/* An I/O APIC at addr whose first input is GSI gsi_base (QEMU microvm with
 * ACPI has a second one, GSIs 24-47). At most 4. */
void ioapic_add(uint32_t addr, uint32_t gsi_base);
/* Local APIC id of this CPU, for MSI-X message addresses. */
uint8_t intr_cpu_apic_id(void);
/* Print a backtrace starting from frame pointer rbp. */
void intr_backtrace(uint64_t rbp);
/* Count of interrupts taken, by kind, for diagnostics. */
uint64_t intr_count_timer(void);

#endif
