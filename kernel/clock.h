/* kernel/clock.h: monotonic and wall clocks, and their calibration math.
 *
 * The monotonic clock is the TSC, calibrated once at boot against the PIT
 * (channel 0 polled, CLOCK_CALIB_ROUNDS windows of CLOCK_CALIB_MS, median
 * taken); the LAPIC timer is calibrated in the same windows so deadlines can
 * be armed in nanoseconds. The wall clock is the CMOS RTC read at boot plus
 * monotonic time since. Under TCG the TSC follows QEMU's virtual clock, so
 * the figures are the guest's view, not the host CPU's.
 *
 * The clock_calc_* / rtc_* functions are pure and host-tested
 * (tests/unit/test_clock.c); the rest is kernel-only.
 */
#ifndef KERNEL_CLOCK_H
#define KERNEL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define PIT_HZ 1193182ULL

/* Pure: frequency of a counter that advanced counter_delta while a reference
 * clock of ref_hz advanced ref_ticks (0 if ref_ticks is 0). No overflow for
 * any 64-bit delta (128-bit intermediate). */
uint64_t clock_calc_hz(uint64_t counter_delta, uint64_t ref_ticks, uint64_t ref_hz);
/* Pure: counter ticks -> ns and ns -> counter ticks for a counter of hz. */
uint64_t clock_calc_ns(uint64_t ticks, uint64_t hz);
uint64_t clock_calc_ticks(uint64_t ns, uint64_t hz);
/* Pure: median of n values (n >= 1); sorts v in place. */
uint64_t clock_calc_median(uint64_t *v, size_t n);

/* Pure: a CMOS RTC reading -> seconds since the Unix epoch, or -1 when the
 * fields are out of range. reg_b is status register B (bit 2: binary, else
 * BCD; bit 1: 24-hour, else 12-hour with bit 7 of the hour = PM). */
struct rtc_raw { uint8_t sec, min, hour, day, mon, year, century; };
int64_t rtc_to_epoch(const struct rtc_raw *r, uint8_t reg_b);
/* Pure: days since 1970-01-01 of a proleptic Gregorian date. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Kernel side. clock_init calibrates; before it, monotonic time is 0. */
int clock_init(uint8_t rtc_century_reg);
uint64_t clock_monotonic_ns(void);
/* Nanoseconds since the Unix epoch (0 if the RTC could not be read). */
uint64_t clock_wall_ns(void);
uint64_t clock_tsc_hz(void);
uint64_t clock_lapic_hz(void);
/* Arm the one-shot timer interrupt at absolute monotonic time deadline_ns
 * (clamped to the LAPIC counter's range). */
void clock_arm_deadline(uint64_t deadline_ns);
/* Calibration record, for the banner and tests. */
struct clock_info { uint64_t tsc_hz, lapic_hz, calib_ns; int64_t boot_epoch; };
void clock_get_info(struct clock_info *out);

#endif
