/* kernel/clock.c: TSC and LAPIC timer calibration against the PIT, the
 * CMOS RTC, and the one-shot deadline (see clock.h). */
#include "kernel/clock.h"

#include "kernel/arch.h"
#include "kernel/klimits.h"
#include "kernel/lapic.h"
#include "kernel/log.h"

static uint64_t tsc_hz, lapic_hz, calib_ns;
static int64_t boot_epoch = -1;
static uint64_t epoch_at_ns;

/* Latch and read PIT channel 0 (8254 datasheet: counter latch command). */
static uint16_t pit_read(void)
{
    outb(0x43, 0x00);
    uint8_t lo = inb(0x40);
    uint8_t hi = inb(0x40);
    return (uint16_t)(lo | hi << 8);
}

/* One window of ms milliseconds of PIT time; returns 0 or -1 if the PIT
 * does not count (no PIT on this machine). */
static int calib_window(unsigned ms, uint64_t *tsc_d, uint64_t *apic_d, uint64_t *pit_d)
{
    uint64_t target = PIT_HZ * ms / 1000;
    uint16_t prev = pit_read();
    /* Wait for the first edge so the window starts on a tick. */
    unsigned spins = 0;
    uint16_t cur;
    while ((cur = pit_read()) == prev)
        if (++spins > 1000000)
            return -1;
    prev = cur;
    uint64_t t0 = rdtsc();
    uint32_t a0 = lapic_timer_count();
    uint64_t elapsed = 0;
    spins = 0;
    while (elapsed < target) {
        cur = pit_read();
        /* Mode 2 with reload 0 counts down through 0..65535 modulo 2^16. */
        uint16_t d = (uint16_t)(prev - cur);
        if (d == 0 && ++spins > 10000000)
            return -1;
        elapsed += d;
        prev = cur;
    }
    uint64_t t1 = rdtsc();
    uint32_t a1 = lapic_timer_count();
    *tsc_d = t1 - t0;
    *apic_d = a0 - a1;
    *pit_d = elapsed;
    return 0;
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);            /* bit 7 clear: NMI stays enabled */
    return inb(0x71);
}

static int rtc_read(uint8_t century_reg, struct rtc_raw *r, uint8_t *reg_b)
{
    struct rtc_raw a, b;
    for (int tries = 0; tries < 5; tries++) {
        unsigned spins = 0;
        while (cmos_read(0x0a) & 0x80)  /* update in progress: <= 2 ms */
            if (++spins > 1000000)
                return -1;
        a.sec = cmos_read(0x00); a.min = cmos_read(0x02); a.hour = cmos_read(0x04);
        a.day = cmos_read(0x07); a.mon = cmos_read(0x08); a.year = cmos_read(0x09);
        a.century = century_reg ? cmos_read(century_reg) : 0;
        while (cmos_read(0x0a) & 0x80)
            if (++spins > 1000000)
                return -1;
        b.sec = cmos_read(0x00); b.min = cmos_read(0x02); b.hour = cmos_read(0x04);
        b.day = cmos_read(0x07); b.mon = cmos_read(0x08); b.year = cmos_read(0x09);
        b.century = century_reg ? cmos_read(century_reg) : 0;
        if (a.sec == b.sec && a.min == b.min && a.hour == b.hour && a.day == b.day &&
            a.mon == b.mon && a.year == b.year && a.century == b.century) {
            *r = a;
            *reg_b = cmos_read(0x0b);
            return 0;
        }
    }
    return -1;
}

int clock_init(uint8_t rtc_century_reg)
{
    uint64_t start = rdtsc();
    outb(0x43, 0x34);           /* channel 0, lobyte/hibyte, mode 2, binary */
    outb(0x40, 0);
    outb(0x40, 0);              /* reload 0 = 65536 */
    lapic_timer_free_run();

    uint64_t th[CLOCK_CALIB_ROUNDS], ah[CLOCK_CALIB_ROUNDS];
    for (int i = 0; i < CLOCK_CALIB_ROUNDS; i++) {
        uint64_t td, ad, pd;
        if (calib_window(CLOCK_CALIB_MS, &td, &ad, &pd) < 0)
            return -1;
        th[i] = clock_calc_hz(td, pd, PIT_HZ);
        ah[i] = clock_calc_hz(ad, pd, PIT_HZ);
    }
    tsc_hz = clock_calc_median(th, CLOCK_CALIB_ROUNDS);
    lapic_hz = clock_calc_median(ah, CLOCK_CALIB_ROUNDS);
    if (tsc_hz < 1000000 || lapic_hz < 1000)
        return -1;
    calib_ns = clock_calc_ns(rdtsc() - start, tsc_hz);

    struct rtc_raw raw;
    uint8_t reg_b;
    if (rtc_read(rtc_century_reg, &raw, &reg_b) == 0) {
        boot_epoch = rtc_to_epoch(&raw, reg_b);
        epoch_at_ns = clock_monotonic_ns();
    }
    if (boot_epoch < 0)
        log_warn("clock", "CMOS RTC unreadable or invalid: wall clock unknown");
    return 0;
}

uint64_t clock_monotonic_ns(void)
{
    /* QEMU and hardware reset the TSC to 0 at power-on, so this is time
     * since the machine started. */
    return tsc_hz ? clock_calc_ns(rdtsc(), tsc_hz) : 0;
}

uint64_t clock_wall_ns(void)
{
    if (boot_epoch < 0)
        return 0;
    return (uint64_t)boot_epoch * 1000000000ULL + (clock_monotonic_ns() - epoch_at_ns);
}

uint64_t clock_tsc_hz(void) { return tsc_hz; }
uint64_t clock_lapic_hz(void) { return lapic_hz; }

void clock_get_info(struct clock_info *out)
{
    out->tsc_hz = tsc_hz;
    out->lapic_hz = lapic_hz;
    out->calib_ns = calib_ns;
    out->boot_epoch = boot_epoch;
}

void clock_arm_deadline(uint64_t deadline_ns)
{
    uint64_t now = clock_monotonic_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t ticks = clock_calc_ticks(delta, lapic_hz);
    if (ticks > 0xffffffffu)
        ticks = 0xffffffffu;
    lapic_timer_oneshot((uint32_t)ticks);
}
