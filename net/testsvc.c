/* net/testsvc.c: the test-only TCP service (see net.h), on lwIP's raw API.
 * Exists only when the command line says test.tcpsvc=PORT.
 *
 * Back-pressure: echo copies what arrives into a per-connection buffer of
 * TCP_WND bytes and frees the pbuf at once (holding pool pbufs would starve
 * every other connection's receive path), and opens the window
 * (tcp_recved) only as bytes leave that buffer for the send queue. A
 * client that does not read therefore stalls its own window, never our
 * memory; a peer that overruns the window it was given is aborted. Source
 * writes only what tcp_sndbuf takes and continues from the sent callback.
 *
 * Test pattern: byte i of a stream is pattern[i % PATTERN_LEN], where the
 * 65521-byte (prime) block comes from xorshift32 seeded with 2463534242
 * (Marsaglia), little-endian words; tests/image/test_net.py builds the
 * same block. A prime period means a dropped, duplicated or reordered
 * segment shows up as a wrong byte.
 */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bearssl_hash.h"
#include "kernel/kernel.h"
#include "lwip/tcp.h"
#include "net/testsvc.h"

#define CMD_MAX 64

enum mode { M_CMD, M_ECHO, M_SINK, M_SOURCE };

struct tconn {
    enum mode mode;
    char cmd[CMD_MAX];
    unsigned cmdlen;
    uint8_t *buf;               /* echo: received, not yet queued (TCP_WND) */
    uint32_t head, len;
    uint64_t left, off;         /* source: bytes still to send, offset */
    br_sha256_context sha;
    int closing;
};

uint8_t testsvc_pattern[PATTERN_LEN];
#define pattern testsvc_pattern
static unsigned nconns;

void testsvc_pattern_init(void)
{
    uint32_t x = 2463534242u;
    for (unsigned i = 0; i < PATTERN_LEN; i += 4) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        for (unsigned k = 0; k < 4 && i + k < PATTERN_LEN; k++)
            pattern[i + k] = (uint8_t)(x >> (8 * k));
    }
}

static void tconn_free(struct tcp_pcb *pcb, struct tconn *c)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    if (c) {
        free(c->buf);
        free(c);
        nconns--;
    }
}

/* Close after the queued data (FIN). Every byte received must have been
 * tcp_recved first, or lwIP answers the close with a reset and drops what
 * is queued (tcp_close_shutdown). Returns ERR_OK, or ERR_ABRT when the pcb
 * had to be aborted: callers in lwIP callbacks return that value as is and
 * never touch c or pcb again. */
static err_t tconn_close(struct tcp_pcb *pcb, struct tconn *c)
{
    tconn_free(pcb, c);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

/* Echo: move buffered bytes to the send queue as far as it takes them;
 * after the client's FIN, close once everything is queued. Returns what
 * tconn_close returned when it closed (c is then gone), else ERR_OK. */
static err_t echo_flush(struct tcp_pcb *pcb, struct tconn *c)
{
    while (c->len) {
        u16_t room = tcp_sndbuf(pcb);
        if (room == 0)
            break;
        uint32_t n = c->len, contig = TCP_WND - c->head;
        if (n > contig)
            n = contig;
        if (n > room)
            n = room;
        if (tcp_write(pcb, c->buf + c->head, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        c->head = (c->head + n) % TCP_WND;
        c->len -= n;
        tcp_recved(pcb, (u16_t)n);
    }
    tcp_output(pcb);
    if (c->closing && c->len == 0) {
        return tconn_close(pcb, c);
    }
    return ERR_OK;
}

/* Source: queue pattern bytes while the send buffer takes them; close when
 * all are queued (same return convention as echo_flush). */
static err_t source_fill(struct tcp_pcb *pcb, struct tconn *c)
{
    while (c->left) {
        u16_t room = tcp_sndbuf(pcb);
        if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
            break;
        uint64_t n = c->left < room ? c->left : room;
        unsigned at = (unsigned)(c->off % PATTERN_LEN);
        if (n > PATTERN_LEN - at)
            n = PATTERN_LEN - at;
        if (n > TCP_MSS)
            n = TCP_MSS;
        /* The pattern is static: lwIP may reference it without copying. */
        if (tcp_write(pcb, pattern + at, (u16_t)n, c->left > n ? TCP_WRITE_FLAG_MORE : 0) != ERR_OK)
            break;
        c->left -= n;
        c->off += n;
    }
    tcp_output(pcb);
    if (!c->left) {
        return tconn_close(pcb, c);
    }
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)len;
    struct tconn *c = arg;
    if (!c)
        return ERR_OK;
    if (c->mode == M_ECHO)
        return echo_flush(pcb, c);
    if (c->mode == M_SOURCE)
        return source_fill(pcb, c);
    return ERR_OK;
}

/* Every 500 ms: retry what a full send queue or an ERR_MEM stopped. A
 * connection with nothing in flight gets no sent callback, so without this
 * it would wait forever. */
static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    return on_sent(arg, pcb, 0);
}

/* The command line is complete: pick the mode. Replies to a bad command
 * use source mode with nothing left, so they close once queued. */
static void start_mode(struct tcp_pcb *pcb, struct tconn *c)
{
    c->cmd[c->cmdlen] = 0;
    if (strcmp(c->cmd, "echo") == 0) {
        c->mode = M_ECHO;
    } else if (strcmp(c->cmd, "sink") == 0) {
        c->mode = M_SINK;
        br_sha256_init(&c->sha);
    } else if (strncmp(c->cmd, "source ", 7) == 0) {
        char *end;
        c->left = strtoull(c->cmd + 7, &end, 10);
        c->mode = M_SOURCE;
        if (*end || c->cmd[7] == 0) {
            c->left = 0;
            tcp_write(pcb, "bad length\n", 11, TCP_WRITE_FLAG_COPY);
        }
    } else {
        tcp_write(pcb, "unknown mode\n", 13, TCP_WRITE_FLAG_COPY);
        c->mode = M_SOURCE;
        c->left = 0;
    }
}

/* Echo: take the bytes into the window-sized buffer and free the pbuf. */
static err_t echo_take(struct tcp_pcb *pcb, struct tconn *c, struct pbuf *p)
{
    if ((!c->buf && !(c->buf = malloc(TCP_WND))) || p->tot_len > TCP_WND - c->len) {
        if (c->buf)     /* more than the window we advertised: broken or hostile */
            log_warn("testsvc", "peer sent %u bytes with %u buffered: over the %u-byte window; aborting",
                     (unsigned)p->tot_len, (unsigned)c->len, (unsigned)TCP_WND);
        pbuf_free(p);
        tconn_free(pcb, c);
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    uint32_t tail = (c->head + c->len) % TCP_WND, n = p->tot_len;
    uint32_t first = n < TCP_WND - tail ? n : TCP_WND - tail;
    pbuf_copy_partial(p, c->buf + tail, (u16_t)first, 0);
    if (n > first)
        pbuf_copy_partial(p, c->buf, (u16_t)(n - first), (u16_t)first);
    c->len += n;
    pbuf_free(p);
    return echo_flush(pcb, c);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct tconn *c = arg;
    (void)err;
    if (!c) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (!p) {                               /* the client's FIN */
        switch (c->mode) {
        case M_ECHO:
            c->closing = 1;                 /* close once the buffer drains */
            return echo_flush(pcb, c);
        case M_SOURCE:
            return c->left ? ERR_OK : tconn_close(pcb, c);
        case M_SINK: {
            uint8_t h[32];
            char hex[66];
            br_sha256_out(&c->sha, h);
            for (int i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", h[i]);
            hex[64] = '\n';
            tcp_write(pcb, hex, 65, TCP_WRITE_FLAG_COPY);
            return tconn_close(pcb, c);
        }
        default:
            return tconn_close(pcb, c);
        }
    }
    if (c->mode == M_CMD) {
        u16_t skip = 0;
        int found = 0;
        for (; skip < p->tot_len && !found; skip++) {
            char ch = (char)pbuf_get_at(p, skip);
            if (ch == '\n')
                found = 1;
            else if (c->cmdlen < CMD_MAX - 1)
                c->cmd[c->cmdlen++] = ch;
        }
        tcp_recved(pcb, skip);
        if (!found) {
            pbuf_free(p);
            return ERR_OK;
        }
        start_mode(pcb, c);
        p = skip < p->tot_len ? pbuf_free_header(p, skip) : (pbuf_free(p), NULL);
    }
    if (p && c->mode == M_ECHO)
        return echo_take(pcb, c, p);
    if (p) {
        if (c->mode == M_SINK)
            for (struct pbuf *q = p; q; q = q->next)
                br_sha256_update(&c->sha, q->payload, q->len);
        tcp_recved(pcb, p->tot_len);        /* sink hashes it; source ignores it */
        pbuf_free(p);
    }
    if (c->mode == M_SOURCE)
        return source_fill(pcb, c);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    struct tconn *c = arg;
    if (c) {                                /* the pcb is already gone */
        free(c->buf);
        free(c);
        nconns--;
    }
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct tconn *c = calloc(1, sizeof *c);
    if (!c) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    nconns++;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, 1);
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

int net_testsvc_start(uint16_t port)
{
    testsvc_pattern_init();
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb || tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
        log_error("testsvc", "cannot bind TCP port %u", port);
        return -1;
    }
    struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 64);
    if (!l) {
        log_error("testsvc", "cannot listen on TCP port %u", port);
        return -1;
    }
    tcp_accept(l, on_accept);
    log_warn("testsvc", "TEST-ONLY TCP service on port %u (echo, sink, source N)", port);
    return 0;
}
