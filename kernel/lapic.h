/* kernel/lapic.h: the local APIC (xAPIC, memory mapped) and the legacy 8259
 * PIC, which is remapped out of the exception range and masked. Intel SDM
 * vol. 3A ch. 11. Called from the event loop and interrupt handlers. */
#ifndef KERNEL_LAPIC_H
#define KERNEL_LAPIC_H

#include <stdint.h>

#define VEC_TIMER 0x30
#define VEC_PIC_BASE 0xe0               /* masked 8259 lands here if spurious */
#define VEC_SPURIOUS 0xff

void lapic_init(void);
void lapic_eoi(void);
/* Free-running countdown from 0xffffffff (calibration), interrupt masked. */
void lapic_timer_free_run(void);
uint32_t lapic_timer_count(void);
/* One-shot interrupt on VEC_TIMER after ticks (divide-by-16 ticks). */
void lapic_timer_oneshot(uint32_t ticks);

#endif
