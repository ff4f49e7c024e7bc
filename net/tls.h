/* net/tls.h: the TLS server inside net/ (not for app/, which sees streams):
 * what net/stream.c needs of net/tls.c to run a BearSSL server engine per
 * connection. docs/tls.md has the behaviour.
 *
 * tls.c owns the certificates, the policy that picks one by SNI, the
 * session cache, the per-connection engine memory (bounded by a count
 * fixed at start) and the handshake counters. stream.c owns the pump
 * between lwIP and the engine and calls back into here at the edges of
 * a connection's life. Event-loop context only.
 */
#ifndef NET_TLS_H
#define NET_TLS_H

#include <stdint.h>
#include "bearssl.h"

struct stream_ops;

/* Why a handshake did not complete (metrics label in parentheses). */
enum tls_fail {
    TLS_F_NO_SHARED_CIPHER,         /* no_shared_cipher: no common suite, curve or signature hash */
    TLS_F_VERSION,                  /* version: the client cannot do TLS 1.2 */
    TLS_F_ALPN,                     /* alpn: the client offered protocols, none is http/1.1 */
    TLS_F_BAD_RECORD,               /* bad_record: malformed or oversized records or messages */
    TLS_F_PEER_ALERT,               /* peer_alert: the client gave up (e.g. it distrusts the certificate) */
    TLS_F_CLOSED,                   /* closed: the client closed or reset mid-handshake */
    TLS_F_TIMEOUT,                  /* timeout: not done within handshake-timeout */
    TLS_F_PLAIN_HTTP,               /* plain_http: an HTTP request on the TLS port (answered 400) */
    TLS_F_FULL,                     /* full: every TLS slot was taken */
    TLS_F_SNI_MISMATCH,             /* sni_mismatch: a session resumed under another server name */
    TLS_F_N
};

struct tls_conn;

/* A new server engine with its buffer, seeded from the CSPRNG, or NULL
 * (counted as TLS_F_FULL when the pool is full). */
struct tls_conn *tls_conn_new(void);
void tls_conn_free(struct tls_conn *t);
br_ssl_engine_context *tls_conn_engine(struct tls_conn *t);
/* The handshake deadline (monotonic ms), set by tls_conn_new. */
uint64_t tls_conn_deadline(const struct tls_conn *t);
/* The handshake completed: count it (full or resumed) and return 0; -1
 * when it resumed a session made for another server name, which the
 * caller must not serve (count it with TLS_F_SNI_MISMATCH). */
int tls_conn_established(struct tls_conn *t);
/* The handshake failed: count it, log it (rate-limited) with the
 * connection's id and peer. why is the reason; br_err BearSSL's code. */
void tls_conn_failed(struct tls_conn *t, enum tls_fail why, int br_err, uint64_t id, uint32_t peer);
/* An established connection ended on a TLS error (bad MAC, bad record). */
void tls_conn_broken(struct tls_conn *t, int br_err, uint64_t id, uint32_t peer);
/* Which reason a BearSSL error code (br_ssl_engine_last_error) is. */
enum tls_fail tls_classify(int br_err);

/* stream.c: listen on port with TLS streams; records queued when the app
 * closes get linger_ms to leave. 0 or -1. */
int stream_listen_tls(uint16_t port, const struct stream_ops *ops, void *arg, uint32_t linger_ms);

/* Another TLS port with the same certificates and pool (the test service):
 * 0, or -1 when TLS is not serving. */
int tls_listen_extra(uint16_t port, const struct stream_ops *ops, void *arg);

#endif
