/* net/testsvc_tls.c: the test-only service over TLS streams (test.tlssvc=
 * PORT; see net.h): the first line picks "sink N" (reply with the
 * SHA-256 hex of the N bytes that follow, then close: over TLS the client
 * cannot half-close and still read) or "source N" (N bytes of testsvc.c's
 * pattern, then close). Exists so the
 * tests can push and pull tens of megabytes through the TLS stream layer
 * and check every byte, apart from HTTP. Never in a normal boot.
 */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bearssl_hash.h"
#include "kernel/kernel.h"
#include "net/testsvc.h"
#include "net/tls.h"

#define CMD_MAX 64

enum { S_CMD, S_SINK, S_SOURCE };

struct sconn {
    int mode;
    char cmd[CMD_MAX];
    unsigned cmdlen;
    uint64_t left, off;
    br_sha256_context sha;
};

static void done(struct stream *s, struct sconn *c)
{
    stream_close(s);
    free(c);
}

/* Source: write while the stream takes it; close when all is written. */
static void fill(struct stream *s, struct sconn *c)
{
    while (c->left) {
        unsigned at = (unsigned)(c->off % PATTERN_LEN);
        uint64_t n = c->left < PATTERN_LEN - at ? c->left : PATTERN_LEN - at;
        size_t k = stream_write(s, testsvc_pattern + at, (size_t)n, STREAM_REF);
        if (!k)
            break;
        c->left -= k;
        c->off += k;
    }
    stream_flush(s);
    if (!c->left)
        done(s, c);
}

static void start(struct stream *s, struct sconn *c)
{
    c->cmd[c->cmdlen] = 0;
    char *end;
    if (strncmp(c->cmd, "sink ", 5) == 0 && (c->left = strtoull(c->cmd + 5, &end, 10), !*end)) {
        c->mode = S_SINK;
        br_sha256_init(&c->sha);
    } else if (strncmp(c->cmd, "source ", 7) == 0 && (c->left = strtoull(c->cmd + 7, &end, 10), !*end)) {
        c->mode = S_SOURCE;
    } else {
        static const char bad[] = "unknown mode\n";
        stream_write(s, bad, sizeof bad - 1, STREAM_REF);
        c->mode = S_SOURCE;
        c->left = 0;
    }
}

static void *on_open(struct stream *s, void *arg)
{
    (void)s, (void)arg;
    return calloc(1, sizeof(struct sconn));
}

static void on_readable(struct stream *s, void *ctx)
{
    static uint8_t buf[16384];
    struct sconn *c = ctx;
    size_t n;
    while ((n = stream_read(s, buf, sizeof buf)) > 0) {
        size_t i = 0;
        while (c->mode == S_CMD && i < n) {
            char ch = (char)buf[i++];
            if (ch == '\n')
                start(s, c);
            else if (c->cmdlen < CMD_MAX - 1)
                c->cmd[c->cmdlen++] = ch;
        }
        if (c->mode == S_SINK) {
            size_t k = n - i < c->left ? n - i : (size_t)c->left;
            br_sha256_update(&c->sha, buf + i, k);
            c->left -= k;
            if (!c->left) {
                uint8_t h[32];
                char hex[66];
                br_sha256_out(&c->sha, h);
                for (int j = 0; j < 32; j++)
                    snprintf(hex + 2 * j, 3, "%02x", h[j]);
                hex[64] = '\n';
                stream_write(s, hex, 65, 0);
                stream_flush(s);
                done(s, c);
                return;
            }
        }
    }
    if (stream_eof(s)) {
        done(s, c);                             /* the client left early */
        return;
    }
    if (c->mode == S_SOURCE)
        fill(s, c);
}

static void on_writable(struct stream *s, void *ctx)
{
    struct sconn *c = ctx;
    if (c->mode == S_SOURCE)
        fill(s, c);
}

static void on_closed(void *ctx, const char *why)
{
    (void)why;
    free(ctx);
}

static const struct stream_ops ops = { on_open, on_readable, on_writable, on_closed };

int net_testsvc_tls_start(uint16_t port)
{
    testsvc_pattern_init();
    if (tls_listen_extra(port, &ops, NULL) < 0)
        return -1;
    log_warn("testsvc", "TEST-ONLY TLS service on port %u (sink, source N)", port);
    return 0;
}
