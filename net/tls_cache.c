/* net/tls_cache.c: the TLS session cache (see tls_cache.h).
 *
 * Invariants: the live entries are ring slots tail .. tail+count-1 (mod
 * cap), oldest first; each live entry is on exactly one bucket chain (the
 * one of its ID's first bytes), linked by slot index + 1. Session IDs are
 * random (the server's DRBG makes them), so their first bytes are a fair
 * hash and a client cannot aim many IDs at one bucket: it can only send
 * an ID, not store one.
 */
#include "net/tls_cache.h"

#include <string.h>

struct tls_cache_slot {
    struct tls_session s;
    uint32_t born;
    uint32_t next;                  /* chain: slot index + 1, 0 at the end */
};

static uint32_t buckets_for(uint32_t entries)
{
    uint32_t n = 1;
    while (n < entries)
        n <<= 1;
    return n;
}

size_t tls_cache_bytes(uint32_t entries)
{
    if (!entries)
        return 0;
    return (size_t)entries * sizeof(struct tls_cache_slot) + (size_t)buckets_for(entries) * sizeof(uint32_t);
}

void tls_cache_init(struct tls_cache *c, void *mem, uint32_t entries, uint32_t lifetime_s)
{
    memset(c, 0, sizeof *c);
    c->lifetime_s = lifetime_s;
    if (!entries || !mem)
        return;
    c->cap = entries;
    c->e = mem;
    c->nbucket = buckets_for(entries);
    c->bucket = (uint32_t *)(void *)((char *)mem + (size_t)entries * sizeof(struct tls_cache_slot));
    memset(mem, 0, tls_cache_bytes(entries));
}

static uint32_t *head_of(struct tls_cache *c, const uint8_t *id)
{
    uint32_t h = (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16 | (uint32_t)id[3] << 24;
    return &c->bucket[h & (c->nbucket - 1)];
}

static struct tls_cache_slot *find(struct tls_cache *c, const uint8_t *id)
{
    for (uint32_t k = *head_of(c, id); k; k = c->e[k - 1].next)
        if (!memcmp(c->e[k - 1].s.id, id, TLS_SESSION_ID_LEN))
            return &c->e[k - 1];
    return NULL;
}

/* Take the oldest entry out: off its chain, secret wiped. */
static void drop_oldest(struct tls_cache *c)
{
    struct tls_cache_slot *old = &c->e[c->tail];
    uint32_t *link = head_of(c, old->s.id);
    while (*link && *link != c->tail + 1)
        link = &c->e[*link - 1].next;
    if (*link)
        *link = old->next;
    memset(old, 0, sizeof *old);
    c->tail = (c->tail + 1) % c->cap;
    c->count--;
}

void tls_cache_store(struct tls_cache *c, const struct tls_session *s, uint32_t now)
{
    if (!c->cap || find(c, s->id))
        return;
    if (c->count == c->cap) {
        drop_oldest(c);
        c->evicted++;
    }
    uint32_t i = (c->tail + c->count) % c->cap;
    uint32_t *head = head_of(c, s->id);
    c->e[i] = (struct tls_cache_slot){ *s, now, *head };
    *head = i + 1;
    c->count++;
    c->stored++;
}

int tls_cache_lookup(struct tls_cache *c, const uint8_t id[TLS_SESSION_ID_LEN], uint64_t name_hash,
                     uint32_t now, struct tls_session *out)
{
    struct tls_cache_slot *e = c->cap ? find(c, id) : NULL;
    if (!e || (name_hash != TLS_ANY_NAME && e->s.name_hash != name_hash) || now - e->born >= c->lifetime_s) {
        c->misses++;
        return 0;
    }
    *out = e->s;
    c->hits++;
    return 1;
}

void tls_cache_expire(struct tls_cache *c, uint32_t now)
{
    while (c->count && now - c->e[c->tail].born >= c->lifetime_s) {
        drop_oldest(c);
        c->expired++;
    }
}

uint64_t tls_name_hash(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; name && *name; name++) {
        unsigned char ch = (unsigned char)*name;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + 32);
        h = (h ^ ch) * 0x100000001b3ull;
    }
    return h == TLS_ANY_NAME ? 1 : h;           /* never the wildcard */
}
