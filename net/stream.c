/* net/stream.c: byte streams over lwIP's raw TCP (interface in net/net.h),
 * so app/ sees bytes and never a pcb. The TLS listener will offer the same
 * interface.
 *
 * Receive: lwIP's pbufs are queued as they arrive and copied out by
 * stream_read; the window reopens (tcp_recved) only as the app reads, so a
 * slow app throttles its client instead of buffering without bound.
 * Send: stream_write queues at most what lwIP's send buffer and segment
 * queue take (the app keeps the rest and writes again on on_writable);
 * STREAM_REF data (static, e.g. files in the blob) is referenced, not
 * copied. Nagle is off: a response is written in one batch and sent by
 * stream_flush. Close: whatever lwIP still holds unread is acknowledged
 * first, so the close is a FIN after the queued data, never an RST.
 */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"
#include "lwip/tcp.h"

struct stream {
    struct tcp_pcb *pcb;
    const struct stream_ops *ops;
    void *ctx;
    struct pbuf *rxq;
    int eof, closing;
    uint32_t addr;
    uint16_t port;
    uint64_t id;
};

static uint64_t next_id = 1;
static struct stream_stats st;
/* Set by stream_abort: the lwIP callback running now must return ERR_ABRT
 * (its pcb is gone). */
static int aborted;

const struct stream_stats *stream_stats(void) { return &st; }

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
    st.open--;
    free(s);
}

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
    if (!p) {
        s->eof = 1;
    } else {
        st.rx_bytes += p->tot_len;
        if (s->rxq)
            pbuf_cat(s->rxq, p);
        else
            s->rxq = p;
    }
    aborted = 0;
    s->ops->on_readable(s, s->ctx);            /* may close or abort s */
    return aborted ? ERR_ABRT : ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct stream *s = arg;
    (void)pcb;
    st.tx_bytes += len;
    if (!s || s->closing || !s->ops->on_writable)
        return ERR_OK;
    aborted = 0;
    s->ops->on_writable(s, s->ctx);            /* may close or abort s */
    return aborted ? ERR_ABRT : ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    struct stream *s = arg;
    if (!s)
        return;
    s->pcb = NULL;                              /* lwIP has freed it */
    st.reset++;
    if (s->closing) {                           /* the app let go already */
        release(s);
        return;
    }
    void *ctx = s->ctx;
    const struct stream_ops *ops = s->ops;
    release(s);
    ops->on_closed(ctx, err == ERR_RST ? "reset by the client" : "connection error");
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb);

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

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct stream *s = arg;
    (void)pcb;
    if (s && s->closing && try_close(s))        /* a close lwIP could not take before */
        release(s);
    return ERR_OK;
}

struct listener { const struct stream_ops *ops; void *arg; };

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct listener *l = arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        st.refused++;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    s->pcb = pcb;
    s->ops = l->ops;
    s->addr = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
    s->port = pcb->remote_port;
    s->id = next_id++;
    st.open++;
    st.accepted++;
    s->ctx = l->ops->on_open(s, l->arg);
    if (!s->ctx) {                              /* the app is full: refuse */
        st.refused++;
        s->pcb = NULL;
        release(s);
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 2);                  /* every second, for deferred closes */
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

int stream_listen(uint16_t port, const struct stream_ops *ops, void *arg)
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
    l->ops = ops;
    l->arg = arg;
    tcp_arg(lp, l);
    tcp_accept(lp, on_accept);
    return 0;
}

size_t stream_read(struct stream *s, void *buf, size_t cap)
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

size_t stream_pending(const struct stream *s) { return s->rxq ? s->rxq->tot_len : 0; }
int stream_eof(const struct stream *s) { return s->eof && !s->rxq; }

size_t stream_room(const struct stream *s)
{
    if (!s->pcb || s->closing || tcp_sndqueuelen(s->pcb) >= TCP_SND_QUEUELEN - 4)
        return 0;
    return tcp_sndbuf(s->pcb);
}

size_t stream_write(struct stream *s, const void *p, size_t n, int flags)
{
    size_t room = stream_room(s), done = 0;
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
        room = stream_room(s);
    }
    return done;
}

void stream_flush(struct stream *s)
{
    if (s->pcb)
        tcp_output(s->pcb);
}

int stream_unsent(const struct stream *s)
{
    return s->pcb && (s->pcb->unsent || s->pcb->unacked);
}

void stream_close(struct stream *s)
{
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
    if (try_close(s))
        release(s);
    else
        s->closing = 1;                         /* retried from on_poll */
}

void stream_abort(struct stream *s)
{
    struct tcp_pcb *pcb = s->pcb;
    detach(s);
    st.open--;
    st.aborted++;
    free(s);
    if (pcb) {
        tcp_abort(pcb);
        aborted = 1;
    }
}

/* TIME_WAIT pcbs are taken back by lwIP when it needs them; the reserve is
 * for listeners and the test service. */
unsigned net_tcp_connections_max(void) { return MEMP_NUM_TCP_PCB - 32; }
size_t net_tcp_buffer_bytes(void) { return (size_t)TCP_WND + TCP_SND_BUF; }

uint32_t stream_peer_addr(const struct stream *s) { return s->addr; }
uint16_t stream_peer_port(const struct stream *s) { return s->port; }
uint64_t stream_id(const struct stream *s) { return s->id; }
