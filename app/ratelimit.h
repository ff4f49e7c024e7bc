/* app/ratelimit.h: per-client token buckets for rate-limited routes
 * (pure). A route's `rate-limit N/m burst B` gives each client address a
 * bucket of B tokens refilled at N a minute; a request takes one, and with
 * none left it gets 429 (app/handlers.c). Buckets live in a fixed table
 * (RL_SETS x RL_WAYS, keyed hash of route and address); a newcomer takes
 * an idle slot (a full bucket forgets nothing) or else the least recently
 * used one: under an address flood the limiter forgets, it never grows.
 */
#ifndef APP_RATELIMIT_H
#define APP_RATELIMIT_H

#include <stdint.h>

#define RL_SETS 1024
#define RL_WAYS 4

/* A slot keeps its own rate: whether it is idle (full again) is judged by
 * it, never by a newcomer's. */
struct rl_slot { uint32_t addr; uint16_t route; uint16_t used; uint32_t per_min, burst; uint64_t last_ms; uint64_t milli; };

struct ratelimit {
    struct rl_slot slot[RL_SETS][RL_WAYS];
    uint64_t seed;
    uint64_t limited, evicted;
};

struct rl_result {
    int allowed;
    uint32_t limit, remaining;
    uint32_t reset_s;               /* until the bucket is full again */
    uint32_t retry_s;               /* until the next token (when refused) */
};

void rl_init(struct ratelimit *rl, uint64_t seed);
/* Take a token for (route, addr) at now_ms with per_min and burst. */
struct rl_result rl_take(struct ratelimit *rl, unsigned route, uint32_t addr, uint32_t per_min,
                         uint32_t burst, uint64_t now_ms);
/* Whether a token is there, without taking it. */
struct rl_result rl_peek(struct ratelimit *rl, unsigned route, uint32_t addr, uint32_t per_min,
                         uint32_t burst, uint64_t now_ms);
/* Give back a token taken by rl_take (login's per-account bucket: every
 * attempt takes one before it hashes, a success returns it). */
void rl_refund(struct ratelimit *rl, unsigned route, uint32_t addr);

#endif
