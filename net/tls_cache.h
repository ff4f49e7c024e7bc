/* net/tls_cache.h: the TLS session cache behind session-ID resumption
 * (RFC 5246 7.3, F.1.4), sized by the config's tls.session-cache and
 * session-timeout. Pure (no BearSSL, no kernel state): net/tls.c adapts it
 * to BearSSL's br_ssl_session_cache_class; host unit tests drive it.
 *
 * Memory is one block from the caller (tls_cache_bytes): entries in a ring
 * in the order they were stored, plus hash buckets over the session ID.
 * Full: the oldest entry makes room. tls_cache_expire wipes entries older
 * than the lifetime, oldest first, so a master secret lives no longer than
 * session-timeout (plus one sweep). Every master secret that leaves the
 * cache is zeroed.
 *
 * A session remembers the server name its handshake was for (a hash of
 * the SNI, "" for none): RFC 6066 3 forbids resuming it under another.
 * (BearSSL asks before it has read the SNI, so net/tls.c looks up with
 * TLS_ANY_NAME and compares later.)
 * Times are seconds of a monotonic clock. Single-threaded.
 */
#ifndef NET_TLS_CACHE_H
#define NET_TLS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SESSION_ID_LEN 32
#define TLS_MASTER_LEN 48

struct tls_session {
    uint8_t id[TLS_SESSION_ID_LEN];
    uint8_t master[TLS_MASTER_LEN];
    uint16_t version, suite;
    uint64_t name_hash;
};

struct tls_cache_slot;
struct tls_cache {
    struct tls_cache_slot *e;
    uint32_t *bucket;               /* slot index + 1; 0 = empty */
    uint32_t cap, nbucket, tail, count, lifetime_s;
    uint64_t hits, misses, stored, evicted, expired;
};

/* Bytes of memory for entries sessions (0 for 0). */
size_t tls_cache_bytes(uint32_t entries);
/* Use mem (tls_cache_bytes(entries), any alignment malloc gives) for a
 * cache of entries sessions that live lifetime_s. entries 0: a cache that
 * stores nothing. */
void tls_cache_init(struct tls_cache *c, void *mem, uint32_t entries, uint32_t lifetime_s);
/* Remember s (a session ID already present keeps its first entry and age). */
void tls_cache_store(struct tls_cache *c, const struct tls_session *s, uint32_t now);
/* 1 and *out (master secret and parameters) when id is cached, younger
 * than the lifetime and was made for name_hash (any name for
 * TLS_ANY_NAME: out->name_hash says which); 0 otherwise. */
#define TLS_ANY_NAME 0
int tls_cache_lookup(struct tls_cache *c, const uint8_t id[TLS_SESSION_ID_LEN], uint64_t name_hash,
                     uint32_t now, struct tls_session *out);
/* Wipe the sessions past their lifetime. */
void tls_cache_expire(struct tls_cache *c, uint32_t now);
/* FNV-1a of the name, lower-cased (NULL or "" for no SNI). */
uint64_t tls_name_hash(const char *name);

#endif
