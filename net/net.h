/* net/net.h: the network layer's public interface: lwIP over a netdev,
 * address configuration, and (test mode only) the TCP test service.
 * Event-loop context only.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stddef.h>
#include <stdint.h>

struct netdev;
struct config_network;
struct config_firewall;

/* "lwIP 2.2.1, BearSSL 0.6" (static storage). */
const char *net_versions(void);
/* Initialise lwIP and check BearSSL SHA-256 against FIPS 180-2's "abc"
 * vector; logs each result. 0 ok, -1 a check failed. */
int net_selftest(void);

/* Pure: the command line's ip ("dhcp", NULL or "A.B.C.D/N") and gw (NULL
 * or "A.B.C.D") -> cfg, with the config's address rules (config.h). 0, or
 * -1 with a message naming the fix in err. */
int net_parse_config(const char *ip, const char *gw, struct config_network *cfg, char *err,
                     size_t errlen);

/* The security-group firewall (docs/firewall.md) over cfg, which must
 * outlive it; call before net_start. enforce 0 (test.fw=off) passes
 * everything, for benchmarks. 0, or panics when its table cannot be had
 * (the appliance never runs unfiltered by accident). */
int net_firewall_init(const struct config_firewall *cfg, int enforce);
/* The firewall's counters as text, one line per '\n'. */
size_t net_firewall_show(char *buf, size_t cap);
/* The same on the console. */
void net_firewall_log_stats(void);

/* Bring the interface up on nd with cfg and register the network poller
 * on the event loop. Logs "listening" once the address is up. 0 or -1. */
int net_start(struct netdev *nd, const struct config_network *cfg);
/* 1 once the interface has its address. */
int net_ready(void);
/* Log the device and transmit-backlog counters on the console. */
void net_log_stats(void);

/* ---- Byte streams (net/stream.c): TCP as app/ sees it ----
 * A listener calls ops->on_open for each new connection; it returns the
 * app's context, or NULL to refuse (the connection is reset and counted).
 * on_readable: bytes or the end of input arrived (stream_read,
 * stream_eof). on_writable: the peer acknowledged data, so there may be
 * room again. on_closed: the connection died (reset, error): the stream is
 * gone, only ctx remains. After stream_close or stream_abort the app gets
 * no more callbacks for that stream. Event-loop context only. */
struct stream;
struct stream_ops {
    void *(*on_open)(struct stream *s, void *listen_arg);
    void (*on_readable)(struct stream *s, void *ctx);
    void (*on_writable)(struct stream *s, void *ctx);
    void (*on_closed)(void *ctx, const char *why);
};
struct stream_stats { uint64_t accepted, refused, reset, aborted, rx_bytes, tx_bytes; uint32_t open; };
#define STREAM_REF 1                /* stream_write: data outlives the send; not copied */

int stream_listen(uint16_t port, const struct stream_ops *ops, void *arg);
/* Stop listening on every port (a drain): new connections are reset;
 * open streams go on. */
void stream_listen_close_all(void);
/* Copy up to cap received bytes; 0 when none are waiting. */
size_t stream_read(struct stream *s, void *buf, size_t cap);
/* 1 when the peer finished sending and everything was read. */
int stream_eof(const struct stream *s);
/* Queue up to n bytes (what the send buffer takes); returns how many. */
size_t stream_write(struct stream *s, const void *p, size_t n, int flags);
/* Send what was queued. */
void stream_flush(struct stream *s);
/* Graceful close (FIN after the queued data); frees s. */
void stream_close(struct stream *s);
/* Reset the connection at once; frees s. */
void stream_abort(struct stream *s);
uint32_t stream_peer_addr(const struct stream *s);     /* host byte order */
uint16_t stream_peer_port(const struct stream *s);
uint64_t stream_id(const struct stream *s);             /* unique per boot, for logs */
const struct stream_stats *stream_stats(void);
/* The stack's limits a connection pool must respect: connections it can
 * hold at once (keeping some for closing ones), and the most it buffers
 * for one connection (receive window plus send buffer). */
unsigned net_tcp_connections_max(void);
size_t net_tcp_buffer_bytes(void);
/* The firewall's counters in the Prometheus text format. */
size_t net_firewall_metrics(char *buf, size_t cap);

/* ---- TLS (net/tls.c, docs/tls.md) ----
 * net_tls_start: load c's certificates (c->tls), size the TLS connection
 * pool (at most conns, and what a quarter of the heap holds) and the
 * session cache, then listen on port with TLS streams, whose ops and arg
 * are as for stream_listen: on_open comes after a completed handshake.
 * Records still queued when the app closes get limits.send-timeout.
 * Listening waits (up to 5 s) for the CSPRNG's hardware entropy; without
 * it the port stays closed and the console says why. 0, or -1 (logged). */
struct config;
int net_tls_start(const struct config *c, unsigned conns, uint16_t port, const struct stream_ops *ops,
                  void *arg);
/* 1 once the TLS port listens. */
int net_tls_serving(void);
/* 1 for a TLS stream. */
int stream_is_tls(const struct stream *s);
/* Our own address on s (host byte order). */
uint32_t stream_local_addr(const struct stream *s);
/* Handshake counters, failures by reason, the session cache: Prometheus
 * text (metrics), plain lines (show), on the console (log_stats). */
size_t net_tls_metrics(char *buf, size_t cap);
size_t net_tls_show(char *buf, size_t cap);
void net_tls_log_stats(void);

/* Test-only TCP service (test.tcpsvc=PORT; never in a normal boot): the
 * first line of each connection picks the mode: "echo", "sink" (reply with
 * the SHA-256 hex of everything received until the client's FIN) or
 * "source N" (send N bytes of the test pattern, then close). 0 or -1. */
int net_testsvc_start(uint16_t port);
/* "sink N" (the SHA-256 hex of the N bytes after the line) and "source N"
 * over TLS streams with the config's
 * certificates (test.tlssvc=PORT; after net_tls_start). 0 or -1. */
int net_testsvc_tls_start(uint16_t port);

#endif
