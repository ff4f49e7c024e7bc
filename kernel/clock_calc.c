/* kernel/clock_calc.c: pure clock arithmetic and RTC date conversion (see
 * clock.h). Host-tested.
 */
#include "kernel/clock.h"

/* a * b / c with a 128-bit product and one divq (x86_64): no libgcc
 * helper, whose red-zone build is unsafe under our interrupts. Saturates
 * at UINT64_MAX when the quotient does not fit or c is 0. */
static uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
    unsigned __int128 p = (unsigned __int128)a * b;
    uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p;
    if (c == 0 || hi >= c)
        return UINT64_MAX;
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(c));
    return q;
}

uint64_t clock_calc_hz(uint64_t counter_delta, uint64_t ref_ticks, uint64_t ref_hz)
{
    return ref_ticks ? muldiv64(counter_delta, ref_hz, ref_ticks) : 0;
}

uint64_t clock_calc_ns(uint64_t ticks, uint64_t hz)
{
    return hz ? muldiv64(ticks, 1000000000ULL, hz) : 0;
}

uint64_t clock_calc_ticks(uint64_t ns, uint64_t hz)
{
    return muldiv64(ns, hz, 1000000000ULL);
}

uint64_t clock_calc_median(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    return v[n / 2];
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, no tables. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int bcd_decode(uint8_t v, int bcd, unsigned *out)
{
    if (!bcd) {
        *out = v;
        return 0;
    }
    if ((v & 0x0f) > 9 || (v >> 4) > 9)
        return -1;
    *out = (v >> 4) * 10u + (v & 0x0f);
    return 0;
}

int64_t rtc_to_epoch(const struct rtc_raw *r, uint8_t reg_b)
{
    int bcd = !(reg_b & 0x04);
    int h24 = (reg_b & 0x02) != 0;
    unsigned sec, min, hour, day, mon, year, century;
    int pm = !h24 && (r->hour & 0x80);
    if (bcd_decode(r->sec, bcd, &sec) || bcd_decode(r->min, bcd, &min) ||
        bcd_decode(r->hour & (h24 ? 0xff : 0x7f), bcd, &hour) ||
        bcd_decode(r->day, bcd, &day) || bcd_decode(r->mon, bcd, &mon) ||
        bcd_decode(r->year, bcd, &year))
        return -1;
    if (r->century == 0 || bcd_decode(r->century, bcd, &century) || century < 19 || century > 99)
        century = 20;                   /* no century register: assume 20xx */
    if (!h24) {
        if (hour < 1 || hour > 12)
            return -1;
        hour = (hour % 12) + (pm ? 12 : 0);
    }
    static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (sec > 59 || min > 59 || hour > 23 || mon < 1 || mon > 12 || day < 1 ||
        day > mdays[mon - 1] || year > 99)
        return -1;
    int64_t y = (int64_t)century * 100 + year;
    if (mon == 2 && day == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    return rtc_days_from_civil(y, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
}
