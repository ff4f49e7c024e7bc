/* kernel/lapic.c: local APIC and 8259 set-up (see lapic.h). */
#include "kernel/lapic.h"

#include "kernel/arch.h"

#define MSR_APIC_BASE 0x1b
/* xAPIC registers, byte offsets from the base, all 32-bit wide. */
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)

static uintptr_t lapic_base;

static void pic_remap_and_mask(void)
{
    /* ICW1-4: edge, cascade, vectors VEC_PIC_BASE.., 8086 mode; then mask
     * all 16 lines. Remapping matters even when masked: a spurious IRQ7
     * would otherwise arrive on vector 15, a reserved exception. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, VEC_PIC_BASE); outb(0xa1, VEC_PIC_BASE + 8);
    outb(0x21, 4); outb(0xa1, 2);
    outb(0x21, 1); outb(0xa1, 1);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

void lapic_init(void)
{
    pic_remap_and_mask();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    lapic_base = (uintptr_t)(base & 0xfffff000u);
    wrmsr(MSR_APIC_BASE, base | (1u << 11));      /* global enable */
    mmio_write32(lapic_base + LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    mmio_write32(lapic_base + LAPIC_LVT_LINT0, LVT_MASKED);
    mmio_write32(lapic_base + LAPIC_LVT_LINT1, LVT_MASKED);
    mmio_write32(lapic_base + LAPIC_LVT_ERROR, LVT_MASKED | VEC_SPURIOUS);
    mmio_write32(lapic_base + LAPIC_TIMER_DIV, 0x3);  /* divide by 16 */
    mmio_write32(lapic_base + LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    mmio_write32(lapic_base + LAPIC_EOI, 0);
}

void lapic_eoi(void) { mmio_write32(lapic_base + LAPIC_EOI, 0); }

void lapic_timer_free_run(void)
{
    mmio_write32(lapic_base + LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    mmio_write32(lapic_base + LAPIC_TIMER_INIT, 0xffffffffu);
}

uint32_t lapic_timer_count(void) { return mmio_read32(lapic_base + LAPIC_TIMER_CUR); }

void lapic_timer_oneshot(uint32_t ticks)
{
    mmio_write32(lapic_base + LAPIC_LVT_TIMER, VEC_TIMER);   /* one-shot, unmasked */
    mmio_write32(lapic_base + LAPIC_TIMER_INIT, ticks ? ticks : 1);
}
