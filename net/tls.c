/* net/tls.c: the TLS server on BearSSL (docs/tls.md): certificates from the
 * config, one server engine per connection, the SNI policy, the session
 * cache, the handshake counters and their metrics. Interfaces: net/net.h
 * (net_tls_*: kernel/main.c and app/) and net/tls.h (stream.c).
 *
 * Protocol, fixed here on purpose (docs/tls.md says why): TLS 1.2 only;
 * ECDHE with AES-GCM or ChaCha20-Poly1305, in the server's order; X25519
 * then P-256 for the key exchange; ALPN http/1.1 (a client that offers
 * protocols but not that one gets no_application_protocol, RFC 7301 3.2);
 * renegotiation refused; session-ID resumption from tls_cache.
 *
 * Memory: a connection's engine and its 33 KiB record buffer are one
 * allocation, made at accept and freed at close; at most `max_conns` live
 * at once, fixed at start from the config's connections and a share of
 * the heap. The session cache is one allocation made at start.
 *
 * Entropy: every connection's engine is seeded with 32 bytes of the
 * kernel CSPRNG, which must have been seeded from hardware; until it is,
 * nothing listens on the TLS port (and the console says why).
 */
#include "net/net.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"
#include "net/tls.h"
#include "net/tls_cache.h"
#include "net/tls_sni.h"

#define HEAP_SHARE 4                /* engines take at most 1/4 of the heap */
#define CACHE_HEAP_SHARE 8          /* the session cache at most 1/8 */
#define ENTROPY_WAIT_MS 5000        /* for virtio-rng's first bytes */
#define SWEEP_NS (60ull * 1000000000ull)
#define LOG_BURST 20
#define LOG_PER_SEC 10

struct tls_conn {
    br_ssl_server_context sc;       /* first: BearSSL's callbacks get &sc */
    const br_ssl_server_policy_class *pol;     /* the SNI policy's context */
    uint64_t deadline_ms;
    int resumed;
    uint64_t resumed_name;          /* the server name the resumed session was made for */
    unsigned char buf[BR_SSL_BUFSIZE_BIDI];
};

/* A certificate chain and its key, decoded once at start. */
struct tls_cert {
    struct config_pem_set pem;      /* owns the DER the chain points into */
    br_x509_certificate chain[CONFIG_TLS_CHAIN_MAX];
    size_t nchain;
    br_skey_decoder_context key;    /* owns the private key */
    int is_ec;
};

static const struct config_tls *cfg;
static struct tls_cert *certs;
static unsigned max_conns, open_conns, peak_conns;
static struct tls_cache cache;
static br_ec_impl kx_ec;            /* the default EC code, offering X25519 and P-256 only */
static struct log_limit fail_log;
static int serving;
static struct {
    uint64_t full, resumed, fail[TLS_F_N], broken;
} st;

/* Listening, deferred until the CSPRNG has hardware entropy. */
static uint16_t listen_port;
static const struct stream_ops *listen_ops;
static void *listen_arg;
static uint64_t entropy_deadline_ms;
static uint32_t linger_ms;

static const char *const fail_names[TLS_F_N] = {
    "no_shared_cipher", "version", "alpn", "bad_record", "peer_alert", "closed", "timeout",
    "plain_http", "full", "sni_mismatch",
};

static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000u; }
static uint32_t now_s(void) { return (uint32_t)(clock_monotonic_ns() / 1000000000u); }
static struct tls_conn *conn_of_sc(const br_ssl_server_context *sc)
{
    return (struct tls_conn *)(void *)((char *)(uintptr_t)sc - offsetof(struct tls_conn, sc));
}

/* ---- the SNI policy ----
 * BearSSL asks its policy object for the chain and the key once per full
 * handshake (choose), after it has read the ClientHello and its SNI. Ours
 * picks the configured certificate for the name, installs BearSSL's own
 * single-certificate policy for it in this connection's context (which is
 * what later signs the ServerKeyExchange), and lets that one choose. */

static int pol_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
                      br_ssl_server_choices *choices)
{
    struct tls_conn *t = (struct tls_conn *)(void *)((char *)pctx - offsetof(struct tls_conn, pol));
    /* Only full handshakes get here: a session the cache offered was
     * dropped (the client no longer offers its suite). */
    t->resumed = 0;
    const struct tls_cert *c = &certs[tls_sni_pick(cfg, br_ssl_engine_get_server_name(&cc->eng))];
    if (c->is_ec)
        br_ssl_server_set_single_ec(&t->sc, c->chain, c->nchain, br_skey_decoder_get_ec(&c->key),
                                    BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, br_ec_get_default(),
                                    br_ecdsa_sign_asn1_get_default());
    else
        br_ssl_server_set_single_rsa(&t->sc, c->chain, c->nchain, br_skey_decoder_get_rsa(&c->key),
                                     BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
                                     br_rsa_pkcs1_sign_get_default());
    return (*t->sc.policy_vtable)->choose(t->sc.policy_vtable, cc, choices);
}

/* Never called: choose replaced this policy before any key operation. */
static uint32_t pol_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data, size_t *len)
{
    (void)pctx, (void)data, (void)len;
    return 0;
}

static size_t pol_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id, unsigned char *data,
                          size_t hv_len, size_t len)
{
    (void)pctx, (void)algo_id, (void)data, (void)hv_len, (void)len;
    return 0;
}

static const br_ssl_server_policy_class sni_policy = {
    sizeof(const br_ssl_server_policy_class *), pol_choose, pol_do_keyx, pol_do_sign,
};

/* ---- the session cache, as BearSSL's cache class ---- */

static void cache_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
                       const br_ssl_session_parameters *p)
{
    (void)ctx;
    struct tls_session s;
    if (p->session_id_len != TLS_SESSION_ID_LEN)
        return;
    memcpy(s.id, p->session_id, sizeof s.id);
    memcpy(s.master, p->master_secret, sizeof s.master);
    s.version = p->version;
    s.suite = p->cipher_suite;
    s.name_hash = tls_name_hash(br_ssl_engine_get_server_name(&sc->eng));
    tls_cache_store(&cache, &s, now_s());
    memset(&s, 0, sizeof s);
}

static int cache_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
                      br_ssl_session_parameters *p)
{
    (void)ctx;
    struct tls_session s;
    /* BearSSL looks the session up before it reads the ClientHello's
     * extensions, SNI among them: the name is compared once the handshake
     * is done (tls_conn_established). */
    if (!tls_cache_lookup(&cache, p->session_id, TLS_ANY_NAME, now_s(), &s))
        return 0;
    p->version = s.version;
    p->cipher_suite = s.suite;
    memcpy(p->master_secret, s.master, sizeof s.master);
    conn_of_sc(sc)->resumed = 1;
    conn_of_sc(sc)->resumed_name = s.name_hash;
    memset(&s, 0, sizeof s);
    return 1;
}

static const br_ssl_session_cache_class cache_class = {
    sizeof(const br_ssl_session_cache_class *), cache_save, cache_load,
};
static const br_ssl_session_cache_class *cache_vt = &cache_class;

static void cache_sweep(void *arg)
{
    (void)arg;
    tls_cache_expire(&cache, now_s());
    loop_timer_add(clock_monotonic_ns() + SWEEP_NS, cache_sweep, NULL);
}

/* ---- connections ---- */

/* Server's order (BR_OPT_ENFORCE_SERVER_PREFERENCES): AES-128-GCM first,
 * which AES-NI makes the fastest on x86_64 (BearSSL uses it when the CPU
 * has it); ChaCha20-Poly1305 next, the fast one without AES-NI and the
 * choice of clients that ask for it first; AES-256-GCM last. ECDSA before
 * RSA only matters with certificates of both kinds, which a host block
 * cannot have (one key each). */
static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
static const char *alpn[] = { "http/1.1" };

struct tls_conn *tls_conn_new(void)
{
    uint8_t seed[32];
    if (open_conns >= max_conns) {
        st.fail[TLS_F_FULL]++;
        return NULL;
    }
    if (csprng_fill(seed, sizeof seed) < 0)
        return NULL;
    struct tls_conn *t = malloc(sizeof *t);
    if (!t) {
        st.fail[TLS_F_FULL]++;
        memset(seed, 0, sizeof seed);
        return NULL;
    }
    br_ssl_server_context *sc = &t->sc;
    br_ssl_engine_context *e = &sc->eng;
    br_ssl_server_zero(sc);
    br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(e, suites, sizeof suites / sizeof suites[0]);
    /* Signatures with SHA-256, -384 or -512 only (no SHA-1 or SHA-224). */
    br_ssl_engine_set_hash(e, br_sha256_ID, &br_sha256_vtable);
    br_ssl_engine_set_hash(e, br_sha384_ID, &br_sha384_vtable);
    br_ssl_engine_set_hash(e, br_sha512_ID, &br_sha512_vtable);
    br_ssl_engine_set_prf_sha256(e, &br_tls12_sha256_prf);
    br_ssl_engine_set_prf_sha384(e, &br_tls12_sha384_prf);
    br_ssl_engine_set_default_aes_gcm(e);
    br_ssl_engine_set_default_chapol(e);
    br_ssl_engine_set_ec(e, &kx_ec);
    br_ssl_engine_set_protocol_names(e, alpn, 1);
    br_ssl_engine_set_all_flags(e, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION |
                                   BR_OPT_FAIL_ON_ALPN_MISMATCH);
    br_ssl_engine_set_buffer(e, t->buf, sizeof t->buf, 1);
    t->pol = &sni_policy;
    br_ssl_server_set_policy(sc, &t->pol);
    if (cache.cap)
        br_ssl_server_set_cache(sc, &cache_vt);
    br_ssl_engine_inject_entropy(e, seed, sizeof seed);
    memset(seed, 0, sizeof seed);
    t->resumed = 0;
    t->deadline_ms = now_ms() + cfg->handshake_timeout_ms;
    if (!br_ssl_server_reset(sc)) {
        free(t);
        return NULL;
    }
    if (++open_conns > peak_conns)
        peak_conns = open_conns;
    return t;
}

void tls_conn_free(struct tls_conn *t)
{
    /* Session keys and the record buffer's plaintext go with it. */
    memset(t, 0, sizeof *t);
    free(t);
    open_conns--;
}

br_ssl_engine_context *tls_conn_engine(struct tls_conn *t) { return &t->sc.eng; }
uint64_t tls_conn_deadline(const struct tls_conn *t) { return t->deadline_ms; }

int tls_conn_established(struct tls_conn *t)
{
    if (t->resumed && t->resumed_name != tls_name_hash(br_ssl_engine_get_server_name(&t->sc.eng)))
        return -1;                  /* RFC 6066 3: not under another name */
    if (t->resumed)
        st.resumed++;
    else
        st.full++;
    return 0;
}

enum tls_fail tls_classify(int err)
{
    if (err == BR_ERR_OK)
        return TLS_F_CLOSED;
    if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
        return TLS_F_PEER_ALERT;
    if (err >= BR_ERR_SEND_FATAL_ALERT) {
        switch (err - BR_ERR_SEND_FATAL_ALERT) {
        case 40:                    /* handshake_failure: nothing in common */
            return TLS_F_NO_SHARED_CIPHER;
        case 70:                    /* protocol_version */
        case 86:                    /* inappropriate_fallback */
            return TLS_F_VERSION;
        case 120:                   /* no_application_protocol */
            return TLS_F_ALPN;
        default:
            return TLS_F_BAD_RECORD;
        }
    }
    /* The rest, BR_ERR_UNSUPPORTED_VERSION included: that one comes from a
     * record header's version field (noise, an SSL 2 hello); an old
     * client's ClientHello gets protocol_version above. */
    return TLS_F_BAD_RECORD;
}

static const char *alert_text(int err, char *buf, size_t cap)
{
    if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
        snprintf(buf, cap, " (the client sent alert %d)", err - BR_ERR_RECV_FATAL_ALERT);
    else if (err >= BR_ERR_SEND_FATAL_ALERT)
        snprintf(buf, cap, " (alert %d sent)", err - BR_ERR_SEND_FATAL_ALERT);
    else if (err)
        snprintf(buf, cap, " (BearSSL error %d)", err);
    else
        buf[0] = 0;
    return buf;
}

static void log_event(const char *what, const char *reason, int err, uint64_t id, uint32_t a)
{
    if (!log_limit_take(&fail_log, now_ms(), LOG_BURST, LOG_PER_SEC))
        return;
    char more[48], sup[64] = "";
    if (fail_log.suppressed)
        snprintf(sup, sizeof sup, "; %llu more not logged", (unsigned long long)fail_log.suppressed);
    fail_log.suppressed = 0;
    log_info("tls", "conn %llu from %u.%u.%u.%u: %s: %s%s%s", (unsigned long long)id, a >> 24,
             (a >> 16) & 255, (a >> 8) & 255, a & 255, what, reason, alert_text(err, more, sizeof more), sup);
}

void tls_conn_failed(struct tls_conn *t, enum tls_fail why, int err, uint64_t id, uint32_t peer)
{
    (void)t;
    st.fail[why]++;
    log_event("handshake failed", fail_names[why], err, id, peer);
}

void tls_conn_broken(struct tls_conn *t, int err, uint64_t id, uint32_t peer)
{
    (void)t;
    st.broken++;
    log_event("connection failed", fail_names[tls_classify(err)], err, id, peer);
}

/* ---- start ---- */

/* Decode one configured pair again (config_tls_check accepted it). */
static int load_cert(const struct config_tls_cert *cc, struct tls_cert *c)
{
    struct config_pem_set keys;
    int rc = -1;
    memset(&keys, 0, sizeof keys);
    if (config_pem_decode(cc->certificate.data, cc->certificate.len, &c->pem) < 0 ||
        config_pem_decode(cc->key.data, cc->key.len, &keys) < 0)
        goto out;
    for (unsigned i = 0; i < c->pem.n && c->nchain < CONFIG_TLS_CHAIN_MAX; i++)
        if (!strcmp(c->pem.obj[i].name, "CERTIFICATE") || !strcmp(c->pem.obj[i].name, "X509 CERTIFICATE"))
            c->chain[c->nchain++] = (br_x509_certificate){ c->pem.obj[i].der, c->pem.obj[i].len };
    for (unsigned i = 0; i < keys.n; i++) {
        if (!config_pem_is_key(keys.obj[i].name))
            continue;
        br_skey_decoder_init(&c->key);
        br_skey_decoder_push(&c->key, keys.obj[i].der, keys.obj[i].len);
        if (br_skey_decoder_last_error(&c->key) == 0) {
            c->is_ec = br_skey_decoder_key_type(&c->key) == BR_KEYTYPE_EC;
            rc = c->nchain ? 0 : -1;
        }
        break;
    }
out:
    config_pem_free(&keys);
    return rc;
}

static void try_listen(void *arg)
{
    (void)arg;
    if (!csprng_ready()) {
        if (now_ms() < entropy_deadline_ms) {
            loop_timer_add(clock_monotonic_ns() + 50000000ull, try_listen, NULL);
            return;
        }
        log_error("tls", "not serving port %u: no hardware entropy source (the CPU has no "
                  "RDSEED/RDRAND and no virtio-rng gave entropy), and TLS keys from guessable "
                  "randomness would be no protection; add -device virtio-rng-pci or use a CPU "
                  "with RDRAND", listen_port);
        return;
    }
    if (stream_listen_tls(listen_port, listen_ops, listen_arg, linger_ms) < 0)
        return;
    serving = 1;
    log_info("tls", "serving port %u: %u certificate%s, TLS 1.2, %u connections at most "
             "(%zu KiB each), session cache %u", listen_port, cfg->ncert, cfg->ncert == 1 ? "" : "s",
             max_conns, sizeof(struct tls_conn) / 1024, cache.cap);
}

int net_tls_start(const struct config *conf, unsigned conns, uint16_t port, const struct stream_ops *ops,
                  void *arg)
{
    const struct config_tls *t = &conf->tls;
    cfg = t;
    linger_ms = conf->limits.send_timeout_ms;
    certs = calloc(t->ncert, sizeof *certs);
    if (!certs) {
        log_error("tls", "no memory for the certificates: not serving");
        return -1;
    }
    for (unsigned i = 0; i < t->ncert; i++)
        if (load_cert(&t->cert[i], &certs[i]) < 0) {
            log_error("tls", "cannot load %s: not serving", t->cert[i].certificate.path);
            return -1;
        }
    struct memory_info mi;
    memory_get_info(&mi);
    uint64_t fit = mi.heap_bytes / HEAP_SHARE / sizeof(struct tls_conn);
    max_conns = conns < fit ? conns : (unsigned)fit;
    if (max_conns < conns)
        log_warn("tls", "%u TLS connections at most (%zu KiB each, 1/%d of the %llu MiB heap), "
                 "fewer than the %u connections configured", max_conns, sizeof(struct tls_conn) / 1024,
                 HEAP_SHARE, (unsigned long long)(mi.heap_bytes >> 20), conns);
    uint32_t entries = t->session_cache;
    while (entries && tls_cache_bytes(entries) > mi.heap_bytes / CACHE_HEAP_SHARE)
        entries /= 2;
    if (entries < t->session_cache)
        log_warn("tls", "session-cache %u: keeping %u (1/%d of the heap)", t->session_cache, entries,
                 CACHE_HEAP_SHARE);
    void *mem = entries ? malloc(tls_cache_bytes(entries)) : NULL;
    tls_cache_init(&cache, mem, mem ? entries : 0, t->session_timeout_s);
    if (cache.cap)
        loop_timer_add(clock_monotonic_ns() + SWEEP_NS, cache_sweep, NULL);
    /* The key exchange curves: X25519 and P-256 (BearSSL prefers X25519
     * when the client offers it). Signatures use the full EC code, so a
     * P-384 certificate key still signs. */
    kx_ec = *br_ec_get_default();
    kx_ec.supported_curves &= (uint32_t)1 << BR_EC_curve25519 | (uint32_t)1 << BR_EC_secp256r1;
    listen_port = port;
    listen_ops = ops;
    listen_arg = arg;
    entropy_deadline_ms = now_ms() + ENTROPY_WAIT_MS;
    if (!csprng_ready())
        log_warn("tls", "port %u waits for hardware entropy before it listens", port);
    try_listen(NULL);
    return 0;
}

int net_tls_serving(void) { return serving; }

int tls_listen_extra(uint16_t port, const struct stream_ops *ops, void *arg)
{
    if (!serving) {
        log_error("tls", "port %u: TLS is not serving", port);
        return -1;
    }
    return stream_listen_tls(port, ops, arg, linger_ms);
}

/* ---- counters ---- */

size_t net_tls_metrics(char *buf, size_t cap)
{
    struct sbuf b = { buf, cap, 0 };
    if (!cfg)
        return 0;
    sb_printf(&b, "# HELP tls_handshakes_total Completed TLS handshakes, full or resumed from the session cache.\n"
                  "# TYPE tls_handshakes_total counter\n"
                  "tls_handshakes_total{kind=\"full\"} %llu\ntls_handshakes_total{kind=\"resumed\"} %llu\n"
                  "# HELP tls_handshake_failures_total Handshakes that did not complete, by reason.\n"
                  "# TYPE tls_handshake_failures_total counter\n",
              (unsigned long long)st.full, (unsigned long long)st.resumed);
    for (int i = 0; i < TLS_F_N; i++)
        sb_printf(&b, "tls_handshake_failures_total{reason=\"%s\"} %llu\n", fail_names[i],
                  (unsigned long long)st.fail[i]);
    sb_printf(&b, "# HELP tls_errors_total Established connections ended by a TLS error.\n"
                  "# TYPE tls_errors_total counter\ntls_errors_total %llu\n"
                  "# TYPE tls_connections_open gauge\ntls_connections_open %u\n"
                  "# TYPE tls_connections_max gauge\ntls_connections_max %u\n"
                  "# HELP tls_connection_bytes Memory of one TLS connection (engine and record buffer).\n"
                  "# TYPE tls_connection_bytes gauge\ntls_connection_bytes %zu\n"
                  "# TYPE tls_session_cache_entries gauge\ntls_session_cache_entries %u\n"
                  "# TYPE tls_session_cache_capacity gauge\ntls_session_cache_capacity %u\n"
                  "# TYPE tls_session_cache_lookups_total counter\n"
                  "tls_session_cache_lookups_total{result=\"hit\"} %llu\n"
                  "tls_session_cache_lookups_total{result=\"miss\"} %llu\n",
              (unsigned long long)st.broken, open_conns, max_conns, sizeof(struct tls_conn), cache.count,
              cache.cap, (unsigned long long)cache.hits, (unsigned long long)cache.misses);
    return b.len;
}

size_t net_tls_show(char *buf, size_t cap)
{
    struct sbuf b = { buf, cap, 0 };
    if (cap)
        buf[0] = 0;
    if (!cfg) {
        sb_printf(&b, "tls is not configured\n");
        return b.len;
    }
    sb_printf(&b, "%s; connections %u open (peak %u of %u, %zu KiB each)\n"
                  "handshakes: %llu full, %llu resumed; %llu connections ended by TLS errors\n"
                  "session cache: %u of %u, %llu hits, %llu misses, %llu evicted, %llu expired\n"
                  "handshake failures:",
              serving ? "serving" : "NOT serving", open_conns, peak_conns, max_conns,
              sizeof(struct tls_conn) / 1024, (unsigned long long)st.full, (unsigned long long)st.resumed,
              (unsigned long long)st.broken, cache.count, cache.cap, (unsigned long long)cache.hits,
              (unsigned long long)cache.misses, (unsigned long long)cache.evicted,
              (unsigned long long)cache.expired);
    for (int i = 0; i < TLS_F_N; i++)
        sb_printf(&b, " %s %llu", fail_names[i], (unsigned long long)st.fail[i]);
    sb_printf(&b, "\n");
    return b.len;
}

void net_tls_log_stats(void)
{
    static char text[1024];
    net_tls_show(text, sizeof text);
    log_lines(LOG_INFO, "tls", "", text);
}
