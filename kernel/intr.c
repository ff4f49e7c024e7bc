/* kernel/intr.c: IDT set-up, dispatch and exception dump (see intr.h). */
#include "kernel/intr.h"

#include <stdio.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/klimits.h"
#include "kernel/lapic.h"
#include "kernel/log.h"
#include "kernel/loop.h"
#include "kernel/memory.h"
#include "kernel/power.h"

extern char isr_stubs[];
extern char __boot_stack_bottom[], __boot_stack_top[];
extern char __kernel_start[], __kernel_end[];

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct { intr_handler fn; void *arg; } handlers[256];
static uint64_t timer_irqs;
static volatile int in_fatal;

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization",
    "#CP control protection", "reserved", "reserved", "reserved", "reserved",
    "reserved", "reserved", "#HV hypervisor injection", "#VC VMM communication",
    "#SX security", "reserved",
};

void intr_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + 16 * v);
        idt[v].off_lo = (uint16_t)a;
        idt[v].sel = 0x08;
        idt[v].ist = 0;
        idt[v].type = 0x8e;             /* present, DPL 0, 64-bit interrupt gate */
        idt[v].off_mid = (uint16_t)(a >> 16);
        idt[v].off_hi = (uint32_t)(a >> 32);
        idt[v].zero = 0;
    }
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {
        sizeof idt - 1, (uint64_t)(uintptr_t)idt
    };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

int intr_register(uint8_t vector, intr_handler fn, void *arg)
{
    if (vector < 0x40 || vector >= VEC_PIC_BASE || handlers[vector].fn)
        return -1;
    handlers[vector].fn = fn;
    handlers[vector].arg = arg;
    return 0;
}

uint64_t intr_count_timer(void) { return timer_irqs; }

uint8_t intr_alloc(intr_handler fn, void *arg)
{
    for (unsigned v = 0x40; v < VEC_PIC_BASE; v++)
        if (intr_register((uint8_t)v, fn, arg) == 0)
            return (uint8_t)v;
    return 0;
}

void intr_free(uint8_t vector)
{
    if (vector >= 0x40 && vector < VEC_PIC_BASE) {
        handlers[vector].fn = NULL;
        handlers[vector].arg = NULL;
    }
}

#define IOAPIC_DEFAULT 0xfec00000u
#define IOAPICS_MAX 4
static struct { uint32_t addr, gsi_base; } ioapics[IOAPICS_MAX];
static unsigned nioapics;

void ioapic_add(uint32_t addr, uint32_t gsi_base)
{
    if (nioapics == IOAPICS_MAX || memory_map_mmio(addr, 4096) < 0)
        return;
    ioapics[nioapics].addr = addr;
    ioapics[nioapics].gsi_base = gsi_base;
    nioapics++;
}

/* Indirect registers (82093AA datasheet): IOREGSEL at +0, IOWIN at +0x10. */
static uint32_t ioapic_read(uint32_t base, uint32_t reg)
{
    mmio_write32(base, reg);
    return mmio_read32(base + 0x10);
}

static void ioapic_write(uint32_t base, uint32_t reg, uint32_t v)
{
    mmio_write32(base, reg);
    mmio_write32(base + 0x10, v);
}

uint8_t intr_cpu_apic_id(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    return (uint8_t)(r[1] >> 24);
}

int ioapic_route(uint8_t gsi, uint8_t vector, int level, int active_low)
{
    if (!nioapics)
        ioapic_add(IOAPIC_DEFAULT, 0);
    for (unsigned i = 0; i < nioapics; i++) {
        uint32_t base = ioapics[i].addr;
        unsigned max = (ioapic_read(base, 1) >> 16) & 0xff;     /* IOAPICVER: max entry */
        if (gsi < ioapics[i].gsi_base || gsi > ioapics[i].gsi_base + max)
            continue;
        unsigned pin = gsi - ioapics[i].gsi_base;
        uint32_t lo = vector | (level ? 1u << 15 : 0) | (active_low ? 1u << 13 : 0);
        ioapic_write(base, 0x11 + 2u * pin, (uint32_t)intr_cpu_apic_id() << 24);
        ioapic_write(base, 0x10 + 2u * pin, lo);                /* unmasked, fixed, physical */
        return 0;
    }
    return -1;
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (n > 0)
        log_raw(buf, (size_t)n);
}

void intr_backtrace(uint64_t rbp)
{
    uint64_t lo = (uint64_t)(uintptr_t)__boot_stack_bottom;
    uint64_t hi = (uint64_t)(uintptr_t)__boot_stack_top;
    out("backtrace (resolve with: addr2line -f -e build/appliance.elf ADDR):\n");
    for (int i = 0; i < BACKTRACE_MAX; i++) {
        /* Only follow frame pointers that stay inside the one kernel stack
         * and move upwards: a corrupt chain ends the walk, not the dump. */
        if (rbp < lo || rbp + 16 > hi || (rbp & 7))
            break;
        const uint64_t *f = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = f[1];
        if (ret < (uint64_t)(uintptr_t)__kernel_start || ret >= (uint64_t)(uintptr_t)__kernel_end)
            break;
        out("  #%d 0x%016llx\n", i, (unsigned long long)ret);
        if (f[0] <= rbp)
            break;
        rbp = f[0];
    }
}

static _Noreturn void exception_dump(const struct intr_frame *f)
{
    if (in_fatal)
        power_off(POWER_EXIT_EXCEPTION);    /* fault while dumping: just stop */
    in_fatal = 1;
    log_error("cpu", "exception %llu (%s) error=%#llx rip=%#llx",
              (unsigned long long)f->vector, exc_names[f->vector & 31],
              (unsigned long long)f->error, (unsigned long long)f->rip);
    out("*** CPU EXCEPTION %llu: %s\n", (unsigned long long)f->vector, exc_names[f->vector & 31]);
    out("  error=%#018llx rip=%#018llx cs=%#06llx rflags=%#018llx\n",
        (unsigned long long)f->error, (unsigned long long)f->rip,
        (unsigned long long)f->cs, (unsigned long long)f->rflags);
    out("  rsp=%#018llx ss=%#06llx cr2=%#018llx cr3=%#018llx\n",
        (unsigned long long)f->rsp, (unsigned long long)f->ss,
        (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
    out("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
        (unsigned long long)f->rax, (unsigned long long)f->rbx,
        (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    out("  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n",
        (unsigned long long)f->rsi, (unsigned long long)f->rdi,
        (unsigned long long)f->rbp, (unsigned long long)f->r8);
    out("  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n",
        (unsigned long long)f->r9, (unsigned long long)f->r10,
        (unsigned long long)f->r11, (unsigned long long)f->r12);
    out("  r13=%016llx r14=%016llx r15=%016llx\n",
        (unsigned long long)f->r13, (unsigned long long)f->r14, (unsigned long long)f->r15);
    out("  #0 0x%016llx (faulting instruction)\n", (unsigned long long)f->rip);
    intr_backtrace(f->rbp);
    power_off(POWER_EXIT_EXCEPTION);
}

void intr_dispatch(struct intr_frame *f);
void intr_dispatch(struct intr_frame *f)
{
    uint64_t v = f->vector;
    if (v < 32) {
        exception_dump(f);
    } else if (v == VEC_TIMER) {
        timer_irqs++;
        loop_wake();
        lapic_eoi();
    } else if (v == VEC_SPURIOUS || (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16)) {
        /* Spurious: no EOI (SDM 11.9); a masked 8259 can still raise these. */
    } else if (handlers[v].fn) {
        handlers[v].fn(handlers[v].arg);
        lapic_eoi();
    } else {
        log_warn("intr", "unexpected interrupt vector %llu", (unsigned long long)v);
        lapic_eoi();
    }
}
