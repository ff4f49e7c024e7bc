/* net/stream.c: byte streams over lwIP's raw TCP, plain or TLS (interface
 * in net/net.h), so app/ sees bytes and never a pcb or a BearSSL engine.
 *
 * Receive: lwIP's pbufs are queued as they arrive (rxq). A plain stream
 * copies them out in stream_read; a TLS stream feeds them to its engine
 * as the engine takes records. Either way the window reopens (tcp_recved)
 * only as bytes leave rxq, so a slow app throttles its client instead of
 * buffering without bound.
 * Send: stream_write queues at most what lwIP's send buffer and segment
 * queue take (the app keeps the rest and writes again on on_writable);
 * plain STREAM_REF data (static, e.g. files in the blob) is referenced,
 * not copied. A TLS stream writes into its engine, whose records go to
 * lwIP as room appears (on_sent). Nagle is off: a response is written in
 * one batch and sent by stream_flush. Close: whatever lwIP still holds
 * unread is acknowledged first, so the close is a FIN after the queued
 * data, never an RST.
 *
 * TLS (the pump between lwIP and BearSSL's engine, tls_pump): the app is
 * attached (ops->on_open) only once the handshake completes; before that
 * the connection belongs to net/tls.c's counters and its handshake
 * deadline (checked on lwIP's poll, every second). A handshake that fails
 * sends BearSSL's alert and closes. The app's stream_close sends
 * close_notify (RFC 5246 7.2.1) and the records still queued, then the
 * FIN; they get the config's send-timeout to leave, then the connection
 * is reset. An HTTP request on the TLS port gets a plain 400 saying so.
 */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"
#include "lwip/tcp.h"
#include "net/tls.h"

struct listener { const struct stream_ops *ops; void *arg; int tls; };

struct stream {
    struct tcp_pcb *pcb;
    const struct stream_ops *ops;
    const struct listener *l;
    void *ctx;
    struct pbuf *rxq;
    int eof, closing;
    uint32_t addr, local;
    uint16_t port;
    uint64_t id;
    struct tls_conn *tls;           /* NULL: plain TCP */
    int est;                        /* TLS: handshake done, app attached */
    int sniffed;                    /* TLS: first byte looked at */
    int flushing;                   /* TLS: the app closed; records still leaving */
    uint64_t flush_deadline;
    int lingering;                  /* our FIN is out; the client's data is dropped */
    uint64_t linger_deadline;
};

static uint64_t next_id = 1;
static struct stream_stats st;
static uint32_t linger_ms = 30000;
/* Set when a stream's pcb was aborted: the lwIP callback running now must
 * return ERR_ABRT (its pcb is gone). */
static int aborted;

const struct stream_stats *stream_stats(void) { return &st; }
static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000u; }

static void detach(struct stream *s)
{
    if (s->pcb) {
        tcp_arg(s->pcb, NULL);
        tcp_recv(s->pcb, NULL);
        tcp_sent(s->pcb, NULL);
        tcp_err(s->pcb, NULL);
        tcp_poll(s->pcb, NULL, 0);
        s->pcb = NULL;
    }
    if (s->rxq) {
        pbuf_free(s->rxq);
        s->rxq = NULL;
    }
}

static void release(struct stream *s)
{
    detach(s);
    if (s->tls)
        tls_conn_free(s->tls);
    st.open--;
    free(s);
}

/* Reset the connection and free s; the lwIP callback on the stack returns
 * ERR_ABRT. */
static void destroy(struct stream *s)
{
    struct tcp_pcb *pcb = s->pcb;
    release(s);
    st.aborted++;
    if (pcb) {
        tcp_abort(pcb);
        aborted = 1;
    }
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb);
static void on_err(void *arg, err_t err);

/* Hand the pcb to lwIP for a graceful close. The callbacks go first: a
 * successful tcp_close may free the pcb at once. 1 when lwIP took it (s
 * no longer has a pcb), 0 when it had no memory (callbacks back for the
 * retry from on_poll). */
static int try_close(struct stream *s)
{
    struct tcp_pcb *pcb = s->pcb;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);                        /* later data: lwIP's default drops it */
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    if (tcp_close(pcb) == ERR_OK) {
        s->pcb = NULL;
        return 1;
    }
    tcp_arg(pcb, s);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 2);
    return 0;
}

static void close_now(struct stream *s)
{
    if (try_close(s))
        release(s);
    else
        s->closing = 1;                         /* retried from on_poll */
}

/* The FIN after what is queued; s is freed now, after the linger, or
 * after lwIP's retry. The app has let go of s. */
static void close_tcp(struct stream *s)
{
    if (s->tls) {                               /* the engine's work is done */
        tls_conn_free(s->tls);
        s->tls = NULL;
    }
    if (!s->pcb) {
        release(s);
        return;
    }
    /* Acknowledge what we hold unread, or lwIP closes with an RST. */
    if (s->rxq) {
        tcp_recved(s->pcb, s->rxq->tot_len);
        pbuf_free(s->rxq);
        s->rxq = NULL;
    }
    if (!s->eof && tcp_shutdown(s->pcb, 0, 1) == ERR_OK) {
        s->lingering = 1;                       /* on_recv drops, on FIN or on_poll closes */
        s->linger_deadline = now_ms() + STREAM_LINGER_MS;
        return;
    }
    close_now(s);
}

/* Copy a long receive queue into one heap buffer (see the top). */
static void rx_coalesce(struct stream *s)
{
    struct pbuf *q = pbuf_alloc(PBUF_RAW, s->rxq->tot_len, PBUF_RAM);
    if (!q)
        return;                                 /* the window still bounds it */
    pbuf_copy(q, s->rxq);
    pbuf_free(s->rxq);
    s->rxq = q;
}

/* Copy up to cap bytes out of rxq, reopening the window by as much. */
static size_t rx_take(struct stream *s, void *buf, size_t cap)
{
    if (!s->rxq || !cap)
        return 0;
    size_t n = s->rxq->tot_len < cap ? s->rxq->tot_len : cap;
    pbuf_copy_partial(s->rxq, buf, (u16_t)n, 0);
    s->rxq = n == s->rxq->tot_len ? (pbuf_free(s->rxq), NULL) : pbuf_free_header(s->rxq, (u16_t)n);
    if (s->pcb)
        tcp_recved(s->pcb, (u16_t)n);
    return n;
}

static size_t tcp_room(const struct stream *s)
{
    if (!s->pcb || tcp_sndqueuelen(s->pcb) >= TCP_SND_QUEUELEN - 4)
        return 0;
    return tcp_sndbuf(s->pcb);
}

/* ---- TLS ---- */

static unsigned tls_state(const struct stream *s)
{
    return br_ssl_engine_current_state(tls_conn_engine(s->tls));
}

/* Move records both ways between lwIP and the engine until neither side
 * moves: the engine's records into the send buffer while it has room,
 * received bytes into the engine while it takes them. */
static void tls_pump(struct stream *s)
{
    br_ssl_engine_context *e = tls_conn_engine(s->tls);
    int wrote = 0;
    for (;;) {
        unsigned state = br_ssl_engine_current_state(e);
        int moved = 0;
        size_t len;
        if (state & BR_SSL_SENDREC) {
            unsigned char *p = br_ssl_engine_sendrec_buf(e, &len);
            size_t k = tcp_room(s);
            if (k > len)
                k = len;
            if (k > 0xffff)
                k = 0xffff;
            if (k && tcp_write(s->pcb, p, (u16_t)k, TCP_WRITE_FLAG_COPY) == ERR_OK) {
                br_ssl_engine_sendrec_ack(e, k);
                wrote = moved = 1;
            }
        }
        /* The engine takes one record at a time. Once the handshake is
         * done, no more until tls_progress has seen it: a client's
         * Finished and close_notify in one segment must still count as
         * a completed handshake. */
        int hs_done = (state & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) != 0;
        if ((state & BR_SSL_RECVREC) && s->rxq && (s->est || !hs_done)) {
            unsigned char *p = br_ssl_engine_recvrec_buf(e, &len);
            size_t k = rx_take(s, p, len);
            if (k) {
                br_ssl_engine_recvrec_ack(e, k);
                moved = 1;
            }
        }
        if (!moved)
            break;
    }
    if (wrote)
        tcp_output(s->pcb);
}

/* The app has closed: drop what arrives, send what is queued, then FIN. */
static void tls_flush_close(struct stream *s)
{
    if (s->rxq && s->pcb) {
        tcp_recved(s->pcb, s->rxq->tot_len);
        pbuf_free(s->rxq);
        s->rxq = NULL;
    }
    tls_pump(s);
    if (s->pcb && (tls_state(s) & BR_SSL_SENDREC))
        return;                                 /* on_sent or on_poll comes back */
    close_tcp(s);
}

/* An HTTP request on the TLS port (a TLS record starts with its type,
 * 20-24; a request line with an upper-case method): answer in plain
 * HTTP, as nginx does, so the user sees what went wrong. */
static int tls_sniff_plain(struct stream *s)
{
    static const char resp[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 56\r\nConnection: close\r\n\r\n"
        "This port speaks HTTPS: use https:// in the address.\r\n\r\n";
    s->sniffed = 1;
    u8_t b0 = pbuf_get_at(s->rxq, 0);
    if (b0 < 'A' || b0 > 'Z')
        return 0;
    tcp_write(s->pcb, resp, sizeof resp - 1, 0);
    tcp_output(s->pcb);
    tls_conn_failed(s->tls, TLS_F_PLAIN_HTTP, 0, s->id, s->addr);
    close_tcp(s);
    return 1;
}

/* After bytes arrived or left: the handshake's end or failure, errors.
 * 1 when the app is attached and s lives on, 0 when s is gone or not the
 * app's yet. */
static int tls_progress(struct stream *s)
{
    if (s->flushing) {
        tls_flush_close(s);
        return 0;
    }
    if (!s->sniffed && s->rxq && tls_sniff_plain(s))
        return 0;
    tls_pump(s);
    unsigned state = tls_state(s);
    int err = br_ssl_engine_last_error(tls_conn_engine(s->tls));
    if (!s->est) {
        if ((state & BR_SSL_CLOSED) || (s->eof && !(state & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))) {
            /* Failed (BearSSL's alert is out), or the client left. */
            tls_conn_failed(s->tls, tls_classify(err), err, s->id, s->addr);
            close_tcp(s);
            return 0;
        }
        if (!(state & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
            return 0;                           /* still shaking hands */
        if (tls_conn_established(s->tls) < 0) {
            tls_conn_failed(s->tls, TLS_F_SNI_MISMATCH, 0, s->id, s->addr);
            destroy(s);
            return 0;
        }
        s->est = 1;
        s->ctx = s->l->ops->on_open(s, s->l->arg);
        if (!s->ctx) {                          /* the app is full: refuse */
            st.refused++;
            destroy(s);
            return 0;
        }
    }
    if ((state & BR_SSL_CLOSED) && err) {
        /* A bad record or MAC on an established connection: BearSSL has
         * sent its alert; the app loses the stream. */
        void *ctx = s->ctx;
        const struct stream_ops *ops = s->ops;
        tls_conn_broken(s->tls, err, s->id, s->addr);
        destroy(s);
        ops->on_closed(ctx, "TLS error");
        return 0;
    }
    return 1;
}

/* ---- lwIP callbacks ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct stream *s = arg;
    (void)pcb;
    if (!s) {
        if (p)
            pbuf_free(p);
        return ERR_OK;
    }
    if (err != ERR_OK && p) {
        pbuf_free(p);
        return ERR_OK;
    }
    if (s->lingering) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        } else {
            close_now(s);                       /* the client's FIN: done */
        }
        return ERR_OK;
    }
    if (!p) {
        s->eof = 1;
    } else {
        st.rx_bytes += p->tot_len;
        if (s->rxq) {
            pbuf_cat(s->rxq, p);
            if (pbuf_clen(s->rxq) > STREAM_RXQ_PBUFS)
                rx_coalesce(s);
        } else {
            s->rxq = p;
        }
    }
    aborted = 0;
    if (!s->tls || tls_progress(s))
        s->ops->on_readable(s, s->ctx);        /* may close or abort s */
    return aborted ? ERR_ABRT : ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct stream *s = arg;
    (void)pcb;
    st.tx_bytes += len;
    if (!s || s->closing || s->lingering)
        return ERR_OK;
    aborted = 0;
    if ((!s->tls || tls_progress(s)) && s->ops->on_writable)
        s->ops->on_writable(s, s->ctx);        /* may close or abort s */
    return aborted ? ERR_ABRT : ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    struct stream *s = arg;
    if (!s)
        return;
    s->pcb = NULL;                              /* lwIP has freed it */
    st.reset++;
    if (s->tls && !s->est)
        tls_conn_failed(s->tls, TLS_F_CLOSED, 0, s->id, s->addr);
    if (s->closing || s->flushing || s->lingering || !s->ctx) {   /* the app let go, or never had it */
        release(s);
        return;
    }
    void *ctx = s->ctx;
    const struct stream_ops *ops = s->ops;
    release(s);
    ops->on_closed(ctx, err == ERR_RST ? "reset by the client" : "connection error");
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct stream *s = arg;
    (void)pcb;
    if (!s)
        return ERR_OK;
    aborted = 0;
    if (s->closing) {                           /* a close lwIP could not take before */
        if (try_close(s))
            release(s);
    } else if (s->lingering) {
        if (now_ms() >= s->linger_deadline)
            close_now(s);
    } else if (s->flushing) {
        if (now_ms() >= s->flush_deadline)
            destroy(s);                         /* the client stopped reading */
        else
            tls_flush_close(s);
    } else if (s->tls && !s->est && now_ms() >= tls_conn_deadline(s->tls)) {
        tls_conn_failed(s->tls, TLS_F_TIMEOUT, 0, s->id, s->addr);
        destroy(s);
    } else if (s->tls) {
        /* Records lwIP had no memory for, with nothing in flight, get no
         * on_sent: move them on here (the handshake's last flight too). */
        if (tls_progress(s) && s->ops->on_writable)
            s->ops->on_writable(s, s->ctx);
    }
    return aborted ? ERR_ABRT : ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct listener *l = arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct stream *s = calloc(1, sizeof *s);
    struct tls_conn *t = s && l->tls ? tls_conn_new() : NULL;
    if (!s || (l->tls && !t)) {
        free(s);
        st.refused++;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    s->pcb = pcb;
    s->ops = l->ops;
    s->l = l;
    s->tls = t;
    s->addr = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
    s->local = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)));
    s->port = pcb->remote_port;
    s->id = next_id++;
    st.open++;
    st.accepted++;
    if (!t) {
        s->ctx = l->ops->on_open(s, l->arg);
        if (!s->ctx) {                          /* the app is full: refuse */
            st.refused++;
            s->pcb = NULL;
            release(s);
            tcp_abort(pcb);
            return ERR_ABRT;
        }
    }
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 2);                  /* every second: deferred closes, deadlines */
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

static struct tcp_pcb *listeners[8];
static unsigned nlisteners;

void stream_listen_close_all(void)
{
    for (unsigned i = 0; i < nlisteners; i++) {
        tcp_arg(listeners[i], NULL);
        tcp_accept(listeners[i], NULL);
        tcp_close(listeners[i]);               /* a listening pcb is freed at once */
    }
    nlisteners = 0;
}

static int listen_on(uint16_t port, const struct stream_ops *ops, void *arg, int tls)
{
    struct listener *l = malloc(sizeof *l);
    struct tcp_pcb *pcb = tcp_new();
    if (!l || !pcb || tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
        log_error("stream", "cannot bind TCP port %u", port);
        free(l);
        if (pcb)
            tcp_close(pcb);
        return -1;
    }
    struct tcp_pcb *lp = tcp_listen_with_backlog(pcb, 255);
    if (!lp) {
        log_error("stream", "cannot listen on TCP port %u", port);
        free(l);
        return -1;
    }
    *l = (struct listener){ ops, arg, tls };
    tcp_arg(lp, l);
    tcp_accept(lp, on_accept);
    if (nlisteners < sizeof listeners / sizeof listeners[0])
        listeners[nlisteners++] = lp;
    return 0;
}

int stream_listen(uint16_t port, const struct stream_ops *ops, void *arg)
{
    return listen_on(port, ops, arg, 0);
}

int stream_listen_tls(uint16_t port, const struct stream_ops *ops, void *arg, uint32_t linger)
{
    linger_ms = linger;
    return listen_on(port, ops, arg, 1);
}

/* ---- the app's side ---- */

size_t stream_read(struct stream *s, void *buf, size_t cap)
{
    if (!s->tls)
        return rx_take(s, buf, cap);
    br_ssl_engine_context *e = tls_conn_engine(s->tls);
    size_t n = 0;
    while (n < cap) {
        if (!(br_ssl_engine_current_state(e) & BR_SSL_RECVAPP)) {
            if (!s->rxq || !s->pcb)
                break;
            tls_pump(s);                        /* the next record, if it is all here */
            if (!(br_ssl_engine_current_state(e) & BR_SSL_RECVAPP))
                break;
        }
        size_t len;
        unsigned char *p = br_ssl_engine_recvapp_buf(e, &len);
        size_t k = len < cap - n ? len : cap - n;
        memcpy((char *)buf + n, p, k);
        br_ssl_engine_recvapp_ack(e, k);
        n += k;
    }
    return n;
}

int stream_eof(const struct stream *s)
{
    if (!s->tls)
        return s->eof && !s->rxq;
    unsigned state = tls_state(s);
    if (state & BR_SSL_RECVAPP)
        return 0;
    /* close_notify (or an error) closed the engine, or TCP ended. */
    return (state & BR_SSL_CLOSED) || (s->eof && !s->rxq);
}

size_t stream_write(struct stream *s, const void *p, size_t n, int flags)
{
    size_t done = 0;
    if (!s->pcb || s->closing || s->flushing)
        return 0;
    if (s->tls) {
        br_ssl_engine_context *e = tls_conn_engine(s->tls);
        while (done < n) {
            if (!(br_ssl_engine_current_state(e) & BR_SSL_SENDAPP)) {
                tls_pump(s);                    /* a full record goes out, if lwIP has room */
                if (!(br_ssl_engine_current_state(e) & BR_SSL_SENDAPP))
                    break;
            }
            size_t len;
            unsigned char *buf = br_ssl_engine_sendapp_buf(e, &len);
            size_t k = len < n - done ? len : n - done;
            memcpy(buf, (const char *)p + done, k);
            br_ssl_engine_sendapp_ack(e, k);    /* a full buffer becomes a record */
            done += k;
        }
        return done;
    }
    size_t room = tcp_room(s);
    while (done < n && room) {
        size_t k = n - done;
        if (k > room)
            k = room;
        if (k > 0xffff)
            k = 0xffff;
        u8_t f = flags & STREAM_REF ? 0 : TCP_WRITE_FLAG_COPY;
        if (tcp_write(s->pcb, (const char *)p + done, (u16_t)k, f) != ERR_OK)
            break;
        done += k;
        room = tcp_room(s);
    }
    return done;
}

void stream_flush(struct stream *s)
{
    if (!s->pcb)
        return;
    if (s->tls) {
        if (s->est && !s->flushing && (tls_state(s) & BR_SSL_SENDAPP))
            br_ssl_engine_flush(tls_conn_engine(s->tls), 0);
        tls_pump(s);
        return;
    }
    tcp_output(s->pcb);
}

void stream_close(struct stream *s)
{
    if (s->tls && s->pcb) {
        br_ssl_engine_context *e = tls_conn_engine(s->tls);
        if (!(tls_state(s) & BR_SSL_CLOSED))
            br_ssl_engine_close(e);             /* queues close_notify */
        else if (br_ssl_engine_last_error(e))   /* a bad record the app's read met */
            tls_conn_broken(s->tls, br_ssl_engine_last_error(e), s->id, s->addr);
        s->flushing = 1;
        s->flush_deadline = now_ms() + linger_ms;
        tls_flush_close(s);
        return;
    }
    close_tcp(s);
}

void stream_abort(struct stream *s)
{
    destroy(s);
}

/* TIME_WAIT pcbs are taken back by lwIP when it needs them; the reserve is
 * for listeners and the test service. */
unsigned net_tcp_connections_max(void) { return MEMP_NUM_TCP_PCB - 32; }
size_t net_tcp_buffer_bytes(void) { return (size_t)TCP_WND + TCP_SND_BUF; }

uint32_t stream_peer_addr(const struct stream *s) { return s->addr; }
uint16_t stream_peer_port(const struct stream *s) { return s->port; }
uint32_t stream_local_addr(const struct stream *s) { return s->local; }
uint64_t stream_id(const struct stream *s) { return s->id; }
int stream_is_tls(const struct stream *s) { return s->tls != NULL; }
