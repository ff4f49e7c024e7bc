/* tests/unit/check.h: the smallest test harness that reports well.
 * CHECK* record a failure with file:line and go on; check_done prints one
 * summary line and gives the exit status. Each test_*.c is one binary,
 * built with ASan and UBSan (Makefile), run by tests/test_unit.py. */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_count, check_failed;

#define CHECK(c) do { check_count++; if (!(c)) { check_failed++; \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECK_U64(a, b) do { uint64_t a_ = (a), b_ = (b); check_count++; if (a_ != b_) { check_failed++; \
    fprintf(stderr, "%s:%d: %s == %" PRIu64 " (%#" PRIx64 "), want %" PRIu64 " (%#" PRIx64 ")\n", \
            __FILE__, __LINE__, #a, a_, a_, b_, b_); } } while (0)
#define CHECK_I64(a, b) do { int64_t a_ = (a), b_ = (b); check_count++; if (a_ != b_) { check_failed++; \
    fprintf(stderr, "%s:%d: %s == %" PRId64 ", want %" PRId64 "\n", __FILE__, __LINE__, #a, a_, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); check_count++; \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { check_failed++; \
    fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", \
            b_ ? b_ : "(null)"); } } while (0)

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failed);
    return check_failed ? 1 : 0;
}

#endif
