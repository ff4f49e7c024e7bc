/* app/ratelimit.c: per-client token buckets (pure; see app/ratelimit.h).
 * Tokens are kept in thousandths so slow rates (1/m) refill smoothly. */
#include "app/ratelimit.h"

#include <string.h>

void rl_init(struct ratelimit *rl, uint64_t seed)
{
    memset(rl, 0, sizeof *rl);
    rl->seed = seed | 1;
}

static uint32_t set_of(const struct ratelimit *rl, unsigned route, uint32_t addr)
{
    uint64_t h = ((uint64_t)route << 32 | addr) ^ rl->seed;
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)(h % RL_SETS);
}

static uint64_t refill(const struct rl_slot *s, uint32_t per_min, uint32_t burst, uint64_t now)
{
    uint64_t cap = (uint64_t)burst * 1000;
    uint64_t dt = now - s->last_ms;
    if (dt > 86400000ull)
        return cap;
    uint64_t m = s->milli + dt * per_min / 60;          /* per_min/60000 tokens a ms, x1000 */
    return m > cap ? cap : m;
}

static struct rl_result rl_do(struct ratelimit *rl, unsigned route, uint32_t addr, uint32_t per_min,
                              uint32_t burst, uint64_t now, int take)
{
    struct rl_slot *set = rl->slot[set_of(rl, route, addr)], *s = NULL, *lru = &set[0], *idle = NULL;
    uint64_t cap = (uint64_t)burst * 1000;
    for (int w = 0; w < RL_WAYS; w++) {
        struct rl_slot *x = &set[w];
        if (x->used && x->addr == addr && x->route == route) {
            s = x;
            break;
        }
        if (!idle && (!x->used || refill(x, x->per_min, x->burst, now) >= (uint64_t)x->burst * 1000))
            idle = x;
        if (x->last_ms < lru->last_ms)
            lru = x;
    }
    if (!s && !take)
        return (struct rl_result){ 1, burst, burst, 0, 0 };     /* a full bucket, not kept */
    if (!s) {
        s = idle ? idle : lru;
        if (!idle)
            rl->evicted++;
        *s = (struct rl_slot){ addr, (uint16_t)route, 1, per_min, burst, now, cap };
    }
    s->per_min = per_min;
    s->burst = burst;
    s->milli = refill(s, per_min, burst, now);
    s->last_ms = now;
    struct rl_result r = { 0, burst, 0, 0, 0 };
    if (s->milli >= 1000) {
        if (take)
            s->milli -= 1000;
        r.allowed = 1;
    } else {
        rl->limited += (uint64_t)take;
        uint64_t need = 1000 - s->milli;                /* ms until one token: need * 60 / per_min */
        r.retry_s = (uint32_t)((need * 60 / per_min + 999) / 1000);
        if (!r.retry_s)
            r.retry_s = 1;
    }
    r.remaining = (uint32_t)(s->milli / 1000);
    r.reset_s = (uint32_t)(((cap - s->milli) * 60 / per_min + 999) / 1000);
    return r;
}

struct rl_result rl_take(struct ratelimit *rl, unsigned route, uint32_t addr, uint32_t per_min,
                         uint32_t burst, uint64_t now)
{
    return rl_do(rl, route, addr, per_min, burst, now, 1);
}

struct rl_result rl_peek(struct ratelimit *rl, unsigned route, uint32_t addr, uint32_t per_min,
                         uint32_t burst, uint64_t now)
{
    return rl_do(rl, route, addr, per_min, burst, now, 0);
}

void rl_refund(struct ratelimit *rl, unsigned route, uint32_t addr)
{
    struct rl_slot *set = rl->slot[set_of(rl, route, addr)];
    for (int w = 0; w < RL_WAYS; w++)
        if (set[w].used && set[w].addr == addr && set[w].route == route) {
            uint64_t cap = (uint64_t)set[w].burst * 1000;
            set[w].milli = set[w].milli + 1000 > cap ? cap : set[w].milli + 1000;
            return;
        }
}
