/* Unit tests of kernel/log_format.c: line layout, truncation, one line per
 * event, level names. */
#include <stdarg.h>
#include "kernel/log.h"
#include "tests/unit/check.h"

static size_t fmt(char *buf, size_t cap, uint64_t ts, enum log_level l, const char *sub, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    size_t n = log_format(buf, cap, ts, l, sub, f, ap);
    va_end(ap);
    return n;
}

int main(void)
{
    char b[512];
    size_t n = fmt(b, sizeof b, 1234567891234ULL, LOG_INFO, "mem", "ram=%.1fMiB n=%d", 127.5, 42);
    CHECK_STR(b, "[ 1234.567891] INFO  mem: ram=127.5MiB n=42\n");
    CHECK_U64(n, strlen(b));

    fmt(b, sizeof b, 0, LOG_ERROR, "x", "boom");
    CHECK_STR(b, "[    0.000000] ERROR x: boom\n");
    fmt(b, sizeof b, 999999999ULL, LOG_DEBUG, NULL, "%s", "");
    CHECK_STR(b, "[    0.999999] DEBUG -: \n");
    /* Seconds wider than the field still print whole. */
    fmt(b, sizeof b, 123456ULL * 1000000000ULL, LOG_WARN, "t", "w");
    CHECK_STR(b, "[123456.000000] WARN  t: w\n");

    /* One event, one line: newlines and control bytes are replaced. */
    fmt(b, sizeof b, 0, LOG_INFO, "s", "a\nb\rc\td\x01" "e\x7f");
    CHECK_STR(b, "[    0.000000] INFO  s: a b c d?e?\n");

    /* Truncation: exactly cap-1 bytes, ends with "...\n". */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    char small[64];
    n = fmt(small, sizeof small, 0, LOG_INFO, "s", "%s", big);
    CHECK_U64(n, sizeof small - 1);
    CHECK_U64(strlen(small), sizeof small - 1);
    CHECK(memcmp(small + n - 4, "...\n", 4) == 0);
    /* A message that exactly fits is not truncated. */
    size_t head = strlen("[    0.000000] INFO  s: ");
    char fit[64];
    memset(fit, 'y', sizeof small - head - 2);
    fit[sizeof small - head - 2] = 0;
    n = fmt(small, sizeof small, 0, LOG_INFO, "s", "%s", fit);
    CHECK_U64(n, sizeof small - 1);
    CHECK(small[n - 2] == 'y');
    /* A tiny buffer still yields a terminated line. */
    char tiny[32];
    n = fmt(tiny, sizeof tiny, 0, LOG_INFO, "a-long-subsystem-name", "%s", big);
    CHECK(n < sizeof tiny);
    CHECK(tiny[n - 1] == '\n' && tiny[n] == 0);

    enum log_level l = LOG_INFO;
    CHECK(log_level_parse("debug", &l) == 0 && l == LOG_DEBUG);
    CHECK(log_level_parse("error", &l) == 0 && l == LOG_ERROR);
    CHECK(log_level_parse("warn", &l) == 0 && l == LOG_WARN);
    CHECK(log_level_parse("DEBUG", &l) == -1);
    CHECK(log_level_parse("", &l) == -1);
    CHECK_STR(log_level_name(LOG_WARN), "WARN");
    CHECK_STR(log_level_name((enum log_level)9), "?");
    /* The event-log bucket: a whole burst at first (even right after
     * boot), then per_sec a second; suppressed lines are counted. */
    struct log_limit lim = { 0, 0, 0 };
    int ok = 0;
    for (int i = 0; i < 25; i++)
        ok += log_limit_take(&lim, 300, 20, 10);
    CHECK_I64(ok, 20);
    CHECK_U64(lim.suppressed, 5);
    CHECK_I64(log_limit_take(&lim, 399, 20, 10), 0);
    CHECK_I64(log_limit_take(&lim, 400, 20, 10), 1);
    ok = 0;
    for (int i = 0; i < 100; i++)
        ok += log_limit_take(&lim, 100000, 20, 10);      /* refilled, never past the burst */
    CHECK_I64(ok, 20);
    return check_done("test_log");
}
