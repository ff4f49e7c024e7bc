/* Unit tests of kernel/clock_calc.c: calibration arithmetic, conversions
 * without overflow, and CMOS RTC decoding. */
#include "kernel/clock.h"
#include "tests/unit/check.h"

static struct rtc_raw rtc(uint8_t s, uint8_t mi, uint8_t h, uint8_t d, uint8_t mo, uint8_t y, uint8_t c)
{
    struct rtc_raw r = { s, mi, h, d, mo, y, c };
    return r;
}

int main(void)
{
    /* A 2.1 GHz TSC over a 10 ms PIT window (11931 ticks). */
    uint64_t pit = PIT_HZ * 10 / 1000;
    CHECK_U64(pit, 11931);
    uint64_t hz = clock_calc_hz(2100000000ULL / 100, pit, PIT_HZ);
    CHECK(hz > 2100000000ULL - 300000 && hz < 2100000000ULL + 300000);
    CHECK_U64(clock_calc_hz(12345, 0, PIT_HZ), 0);
    /* Huge deltas saturate instead of wrapping. */
    CHECK_U64(clock_calc_hz(UINT64_MAX, 1, PIT_HZ), UINT64_MAX);

    /* ns <-> ticks. */
    CHECK_U64(clock_calc_ns(3000000000ULL, 3000000000ULL), 1000000000ULL);
    CHECK_U64(clock_calc_ns(1, 1000000000ULL), 1);
    CHECK_U64(clock_calc_ns(123, 0), 0);
    /* 100 years of a 5 GHz TSC: 1.58e19 ticks, still exact, no overflow. */
    uint64_t century_ticks = 5000000000ULL * 86400ULL * 36525ULL;
    CHECK_U64(clock_calc_ns(century_ticks, 5000000000ULL), 86400ULL * 36525ULL * 1000000000ULL);
    CHECK_U64(clock_calc_ticks(1000000, 62500000), 62500);      /* 1 ms of LAPIC at 62.5 MHz */
    CHECK_U64(clock_calc_ticks(0, 62500000), 0);
    CHECK_U64(clock_calc_ticks(UINT64_MAX, UINT64_MAX), UINT64_MAX);
    for (uint64_t t = 1; t < (1ULL << 60); t *= 7) {
        uint64_t ns = clock_calc_ns(t, 2100000000ULL);
        uint64_t back = clock_calc_ticks(ns, 2100000000ULL);
        CHECK(back <= t && t - back <= 3);
    }

    uint64_t v[5] = { 9, 1, 5, 3, 7 };
    CHECK_U64(clock_calc_median(v, 5), 5);
    uint64_t one[1] = { 42 };
    CHECK_U64(clock_calc_median(one, 1), 42);
    uint64_t three[3] = { 3, 3, 1 };
    CHECK_U64(clock_calc_median(three, 3), 3);

    /* Dates (expected values from Python's calendar.timegm). */
    CHECK_I64(rtc_days_from_civil(1970, 1, 1), 0);
    CHECK_I64(rtc_days_from_civil(1969, 12, 31), -1);
    CHECK_I64(rtc_days_from_civil(2000, 3, 1), 11017);
    struct rtc_raw r = rtc(0x00, 0x00, 0x00, 0x23, 0x11, 0x26, 0x20);   /* BCD, 24 h */
    CHECK_I64(rtc_to_epoch(&r, 0x02), 1795392000);
    r = rtc(59, 59, 23, 29, 2, 0, 20);                                   /* binary */
    CHECK_I64(rtc_to_epoch(&r, 0x06), 951868799);
    r = rtc(0x00, 0x00, 0x12, 0x31, 0x12, 0x99, 0x20);                   /* noon */
    CHECK_I64(rtc_to_epoch(&r, 0x02), 4102401600);
    r = rtc(0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19);
    CHECK_I64(rtc_to_epoch(&r, 0x02), 946684799);
    /* 12-hour mode: 12 AM is 0 h, 12 PM is 12 h, 11 PM is 23 h. */
    r = rtc(0x00, 0x00, 0x12, 0x23, 0x11, 0x26, 0x20);
    CHECK_I64(rtc_to_epoch(&r, 0x00), 1795392000);
    r = rtc(0x00, 0x00, 0x92, 0x31, 0x12, 0x99, 0x20);
    CHECK_I64(rtc_to_epoch(&r, 0x00), 4102401600);
    r = rtc(0x59, 0x59, 0x91, 0x31, 0x12, 0x99, 0x19);
    CHECK_I64(rtc_to_epoch(&r, 0x00), 946684799);
    /* No century register: 20xx assumed. */
    r = rtc(0x00, 0x00, 0x00, 0x23, 0x11, 0x26, 0x00);
    CHECK_I64(rtc_to_epoch(&r, 0x02), 1795392000);
    /* Invalid fields are refused, not guessed. */
    r = rtc(0x60, 0, 0, 1, 1, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);
    r = rtc(0x1a, 0, 0, 1, 1, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);  /* bad BCD */
    r = rtc(0, 0, 0x24, 1, 1, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);
    r = rtc(0, 0, 0, 0x32, 1, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);
    r = rtc(0, 0, 0, 1, 0x13, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);
    r = rtc(0, 0, 0, 0x29, 2, 0x25, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);  /* 2025 not leap */
    r = rtc(0, 0, 0x13, 1, 1, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x00), -1);  /* 13 in 12 h mode */
    r = rtc(0, 0, 0, 0x31, 4, 0x26, 0x20);  CHECK_I64(rtc_to_epoch(&r, 0x02), -1);  /* April 31 */
    return check_done("test_clock");
}
