/* Unit tests of the per-client token buckets (app/ratelimit.c) with a fake
 * clock: burst, refill, per-address and per-route isolation, the headers'
 * numbers, peeking without taking, refunds, and a flood of addresses that cannot grow the table or reset
 * an active client's bucket while idle slots exist. */
#include "app/ratelimit.h"
#include "tests/unit/check.h"

static struct ratelimit rl;

int main(void)
{
    rl_init(&rl, 42);
    uint64_t t = 1000;
    /* 60/m, burst 3: three at once, the fourth refused. */
    for (int i = 0; i < 3; i++) {
        struct rl_result r = rl_take(&rl, 0, 1, 60, 3, t);
        CHECK(r.allowed && r.limit == 3 && r.remaining == (uint32_t)(2 - i));
    }
    struct rl_result r = rl_take(&rl, 0, 1, 60, 3, t);
    CHECK(!r.allowed && r.remaining == 0 && r.retry_s == 1 && r.reset_s == 3);
    CHECK_U64(rl.limited, 1);
    /* Peeking takes nothing: an unknown bucket is full and not kept; a
     * spent one says when its next token comes. */
    struct rl_result pk = rl_peek(&rl, 9, 77, 60, 5, t);
    CHECK(pk.allowed && pk.remaining == 5);
    CHECK(rl_peek(&rl, 9, 77, 60, 5, t).remaining == 5);
    pk = rl_peek(&rl, 0, 1, 60, 3, t);
    CHECK(!pk.allowed && pk.retry_s == 1);
    CHECK_U64(rl.limited, 1);
    CHECK(rl_take(&rl, 9, 77, 60, 5, t).remaining == 4);
    CHECK(rl_peek(&rl, 9, 77, 60, 5, t).remaining == 4);
    /* A refund gives one token back, never past the burst. */
    CHECK(rl_take(&rl, 9, 77, 60, 5, t).remaining == 3);
    rl_refund(&rl, 9, 77);
    CHECK(rl_peek(&rl, 9, 77, 60, 5, t).remaining == 4);
    rl_refund(&rl, 9, 77);
    rl_refund(&rl, 9, 77);
    CHECK(rl_peek(&rl, 9, 77, 60, 5, t).remaining == 5);
    rl_refund(&rl, 12345, 1);                       /* no such bucket: nothing */
    /* Another address and another route have their own buckets. */
    CHECK(rl_take(&rl, 0, 2, 60, 3, t).allowed);
    CHECK(rl_take(&rl, 1, 1, 60, 3, t).allowed);
    /* One token a second comes back. */
    CHECK(!rl_take(&rl, 0, 1, 60, 3, t + 999).allowed);
    CHECK(rl_take(&rl, 0, 1, 60, 3, t + 2000).allowed);      /* two seconds: two tokens */
    CHECK(rl_take(&rl, 0, 1, 60, 3, t + 2000).allowed);
    CHECK(!rl_take(&rl, 0, 1, 60, 3, t + 2001).allowed);
    /* Never more than the burst, however long idle. */
    t += 10 * 60000;
    for (int i = 0; i < 3; i++)
        CHECK(rl_take(&rl, 0, 1, 60, 3, t).allowed);
    CHECK(!rl_take(&rl, 0, 1, 60, 3, t).allowed);
    /* Slow rates: 1/m burst 1: Retry-After near a minute. */
    CHECK(rl_take(&rl, 2, 9, 1, 1, t).allowed);
    r = rl_take(&rl, 2, 9, 1, 1, t + 1000);
    CHECK(!r.allowed && r.retry_s >= 58 && r.retry_s <= 60);
    CHECK(rl_take(&rl, 2, 9, 1, 1, t + 61000).allowed);
    /* A flood of addresses: the table stays fixed; an active client keeps
     * its count (its slot is not idle) unless the flood fills its set. */
    struct rl_result a = rl_take(&rl, 3, 77, 60, 5, t);
    CHECK(a.allowed && a.remaining == 4);
    for (uint32_t x = 1000; x < 1000 + RL_SETS; x++)
        rl_take(&rl, 3, x, 60, 5, t);
    a = rl_take(&rl, 3, 77, 60, 5, t);
    CHECK(a.allowed && a.remaining <= 4);
    for (uint32_t x = 100000; x < 100000 + 20 * RL_SETS * RL_WAYS; x++)
        rl_take(&rl, 3, x, 60, 5, t + 1);
    CHECK(rl.evicted > 0);
    /* A drained slow bucket (1/m) is not idle to a fast route's newcomers
     * (100/s, whose own slots are idle again within 10 ms): a flood of
     * them must not reset it. */
    rl_init(&rl, 7);
    uint64_t t2 = 5000000;
    CHECK(rl_take(&rl, 50, 999, 1, 1, t2).allowed);
    for (uint32_t x = 0; x < 3 * RL_SETS; x++)
        rl_take(&rl, 51, x, 6000, 100, t2 + 2000 + x);
    CHECK(!rl_peek(&rl, 50, 999, 1, 1, t2 + 2000 + 3 * RL_SETS).allowed);
    return check_done("test_ratelimit");
}
