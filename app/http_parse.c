/* app/http_parse.c: the HTTP/1.1 request parser and chunked decoder (pure;
 * interface and rules in app/http_parse.h). Grammar from RFC 9112 sections
 * 2-7 and RFC 9110 section 5 (fields).
 */
#include "app/http_parse.h"

#include <string.h>

static const char *const methods[HTTP_METHODS] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
};

const char *http_method_name(enum http_method m)
{
    return (unsigned)m < HTTP_METHODS ? methods[m] : "?";
}

/* tchar (RFC 9110 section 5.6.2). */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(const char *a, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)word[i]))
            return 0;
    return i == n && !word[i];
}

int http_span_is(const char *buf, struct http_span s, const char *word)
{
    return ieq(buf + s.off, s.len, word);
}

int http_head_end(const char *buf, size_t len, struct http_scan *s, const struct http_limits *lim)
{
    size_t i = s->pos;
    for (; i < len; i++) {
        char c = buf[i];
        if (c == 0)
            return -400;
        if (c == '\r') {
            if (i + 1 >= len)
                break;                          /* its LF has not arrived */
            if (buf[i + 1] != '\n')
                return -400;                     /* a bare CR (RFC 9112 section 2.2) */
            continue;
        }
        if (c != '\n') {
            /* Limits as bytes arrive, so a scan stops at the same byte
             * however the input was split. */
            if (!s->got_line ? i + 1 - s->line_start > lim->request_line_max
                             : i + 1 - s->fields_start > lim->header_max)
                return s->got_line ? -431 : -414;
            continue;
        }
        size_t end = i;
        if (end > s->line_start && buf[end - 1] == '\r')
            end--;
        if (!s->got_line) {
            if (end == s->line_start) {         /* an empty line before the request */
                s->line_start = i + 1;
                continue;
            }
            if (end - s->line_start > lim->request_line_max)
                return -414;
            s->got_line = 1;
            s->fields_start = i + 1;
        } else if (end == s->line_start) {
            if (s->line_start - s->fields_start > lim->header_max)
                return -431;
            s->pos = i + 1;
            return (int)(i + 1);
        }
        s->line_start = i + 1;
    }
    s->pos = i;
    return 0;
}

/* ---- the request line ---- */

static int parse_version(const char *v, size_t n, struct http_request *rq)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
        v[7] < '0' || v[7] > '9') {
        rq->why = "malformed HTTP version";
        return 400;
    }
    if (v[5] != '1') {
        rq->why = "HTTP major version other than 1";
        return 505;
    }
    rq->minor = v[7] == '0' ? 0 : 1;        /* 1.2 and up are answered as 1.1 (RFC 9110 2.5) */
    return 0;
}

/* The request-target (RFC 9112 section 3.2): origin-form, absolute-form
 * (its path is used; the authority is the client's business), or "*" for
 * OPTIONS. Visible ASCII only. */
static int parse_target(const char *buf, uint32_t off, uint32_t n, struct http_request *rq)
{
    const char *t = buf + off;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c <= 0x20 || c >= 0x7f) {
            rq->why = "control, space or non-ASCII byte in the request target";
            return 400;
        }
    }
    rq->target = (struct http_span){ off, n };
    uint32_t p = 0;
    if (n == 1 && t[0] == '*') {
        if (rq->method != HTTP_OPTIONS) {
            rq->why = "asterisk-form target with a method other than OPTIONS";
            return 400;
        }
        rq->path = rq->target;
        return 0;
    }
    if (t[0] != '/') {
        size_t skip = 0;
        if (n > 7 && ieq(t, 7, "http://"))
            skip = 7;
        else if (n > 8 && ieq(t, 8, "https://"))
            skip = 8;
        if (!skip) {
            rq->why = "request target is neither a path nor an absolute URI";
            return 400;
        }
        p = (uint32_t)skip;
        while (p < n && t[p] != '/' && t[p] != '?')
            p++;
        if (p == skip) {
            rq->why = "absolute URI without a host";
            return 400;
        }
    }
    uint32_t q = p;
    while (q < n && t[q] != '?' && t[q] != '#')
        q++;
    if (q < n && t[q] == '#') {
        rq->why = "fragment in the request target";
        return 400;
    }
    /* "http://h" and "http://h?x" have an empty path: "/" (len 0). */
    rq->path = (struct http_span){ off + p, q - p };
    if (q < n)
        rq->query = (struct http_span){ off + q + 1, n - q - 1 };
    return 0;
}

static int parse_request_line(const char *buf, size_t end, struct http_request *rq, size_t start)
{
    const char *l = buf + start;
    size_t n = end - start;
    size_t sp1 = 0;
    while (sp1 < n && is_tchar((unsigned char)l[sp1]))
        sp1++;
    if (sp1 == 0 || sp1 >= n || l[sp1] != ' ') {
        rq->why = "malformed request line";
        return 400;
    }
    rq->method = HTTP_METHODS;
    for (int m = 0; m < HTTP_METHODS; m++)
        if (strlen(methods[m]) == sp1 && memcmp(l, methods[m], sp1) == 0)
            rq->method = (enum http_method)m;
    size_t sp2 = sp1 + 1;
    while (sp2 < n && l[sp2] != ' ')
        sp2++;
    if (sp2 == sp1 + 1 || sp2 >= n) {
        rq->why = sp2 >= n ? "request line without an HTTP version" : "empty request target";
        return 400;
    }
    int r = parse_version(l + sp2 + 1, n - sp2 - 1, rq);
    if (r)
        return r;
    if (rq->method == HTTP_METHODS) {           /* methods are case-sensitive (RFC 9110 9.1) */
        rq->why = "method not implemented";
        return 501;
    }
    return parse_target(buf, (uint32_t)(start + sp1 + 1), (uint32_t)(sp2 - sp1 - 1), rq);
}

/* ---- header fields ---- */

static const char *const field_names[HF_COUNT] = {
    [HF_HOST] = "host", [HF_CONTENT_LENGTH] = "content-length",
    [HF_TRANSFER_ENCODING] = "transfer-encoding", [HF_CONNECTION] = "connection",
    [HF_EXPECT] = "expect", [HF_IF_NONE_MATCH] = "if-none-match",
    [HF_IF_MODIFIED_SINCE] = "if-modified-since", [HF_RANGE] = "range", [HF_IF_RANGE] = "if-range",
    [HF_ACCEPT_ENCODING] = "accept-encoding", [HF_ORIGIN] = "origin",
    [HF_X_REQUEST_ID] = "x-request-id",
    [HF_ACCESS_CONTROL_REQUEST_METHOD] = "access-control-request-method",
};

/* Content-Length: 1*DIGIT, no sign, at most 18 digits (RFC 9110 8.6). A
 * list of identical values is the same length; differing ones are not. */
static int parse_length(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    int have = 0, digits = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        uint64_t y = 0;
        digits = 0;
        while (i < n && v[i] >= '0' && v[i] <= '9') {
            if (++digits > 18)
                return -1;
            y = y * 10 + (uint64_t)(v[i++] - '0');
        }
        if (!digits)
            return -1;
        if (have && y != x)
            return -1;
        x = y;
        have = 1;
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (i == n)
            break;
        if (v[i++] != ',')
            return -1;
    }
    *out = x;
    return 0;
}

int http_list_next(const char *v, size_t n, size_t *pos, size_t *s, size_t *e)
{
    size_t i = *pos;
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
        i++;
    if (i >= n) {
        *pos = n;
        return 0;
    }
    size_t a = i;
    while (i < n && v[i] != ',')
        i++;
    size_t b = i;
    while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
        b--;
    *pos = i;
    *s = a;
    *e = b;
    return 1;
}

/* Does a comma-separated token list contain word (case-insensitive)? */
static int list_has(const char *v, size_t n, const char *word)
{
    size_t pos = 0, s, e;
    while (http_list_next(v, n, &pos, &s, &e))
        if (ieq(v + s, e - s, word))
            return 1;
    return 0;
}

static int field_line(const char *buf, size_t start, size_t end, struct http_request *rq)
{
    const char *l = buf + start;
    size_t n = end - start;
    if (l[0] == ' ' || l[0] == '\t') {
        rq->why = "obsolete line folding";
        return 400;
    }
    size_t c = 0;
    while (c < n && is_tchar((unsigned char)l[c]))
        c++;
    if (c == 0 || c >= n || l[c] != ':') {
        rq->why = c < n && (l[c] == ' ' || l[c] == '\t') ? "whitespace before a field's colon"
                                                         : "malformed header field";
        return 400;
    }
    size_t v = c + 1, e = n;
    while (v < e && (l[v] == ' ' || l[v] == '\t'))
        v++;
    while (e > v && (l[e - 1] == ' ' || l[e - 1] == '\t'))
        e--;
    for (size_t i = v; i < e; i++) {
        unsigned char ch = (unsigned char)l[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            rq->why = "control character in a field value";
            return 400;
        }
    }
    rq->nfields++;
    for (int f = 0; f < HF_COUNT; f++) {
        if (!ieq(l, c, field_names[f]))
            continue;
        struct http_span val = { (uint32_t)(start + v), (uint32_t)(e - v) };
        struct http_span *slot = &rq->field[f];
        if (f == HF_HOST && slot->off) {
            rq->why = "two Host fields";
            return 400;
        }
        if (f == HF_CONTENT_LENGTH) {
            uint64_t x;
            if (parse_length(l + v, e - v, &x) < 0 || (rq->has_length && x != rq->length)) {
                rq->why = "invalid or conflicting Content-Length";
                return 400;
            }
            rq->has_length = 1;
            rq->length = x;
        }
        if (f == HF_TRANSFER_ENCODING && slot->off) {
            rq->why = "two Transfer-Encoding fields";
            return 400;
        }
        if (!slot->off)
            *slot = val;
        /* A present-but-empty value keeps off != 0 so "present" is known. */
        break;
    }
    return 0;
}

int http_parse_head(const char *buf, size_t len, const struct http_limits *lim,
                    struct http_request *rq)
{
    memset(rq, 0, sizeof *rq);
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    /* Offsets are 1-based-safe: a field's value never starts at 0. */
    size_t start = i;
    int first = 1;
    while (i < len) {
        size_t nl = i;
        while (nl < len && buf[nl] != '\n')
            nl++;
        if (nl >= len) {
            rq->why = "head without an end";
            return 400;
        }
        size_t end = nl > start && buf[nl - 1] == '\r' ? nl - 1 : nl;
        if (first) {
            int r = parse_request_line(buf, end, rq, start);
            if (r)
                return r;
            first = 0;
            rq->fields_off = (uint32_t)(nl + 1);
        } else if (end == start) {
            break;
        } else {
            int r = field_line(buf, start, end, rq);
            if (r)
                return r;
            if (rq->nfields > lim->headers_max) {
                rq->why = "too many header fields";
                return 431;
            }
        }
        i = start = nl + 1;
    }
    rq->head_len = (uint32_t)len;
    if (first) {
        rq->why = "no request line";
        return 400;
    }
    /* Framing (RFC 9112 sections 6.1-6.3 and 3.2). */
    if (rq->minor == 1 && !rq->field[HF_HOST].off) {
        rq->why = "HTTP/1.1 request without Host";
        return 400;
    }
    struct http_span te = rq->field[HF_TRANSFER_ENCODING];
    if (te.off) {
        if (rq->minor == 0) {
            rq->why = "Transfer-Encoding in an HTTP/1.0 request";
            return 400;
        }
        if (rq->has_length) {
            rq->why = "both Transfer-Encoding and Content-Length";
            return 400;
        }
        if (!http_span_is(buf, te, "chunked")) {
            rq->why = "a transfer coding other than chunked";
            return 501;
        }
        rq->chunked = 1;
    }
    struct http_span conn = rq->field[HF_CONNECTION];
    if (rq->minor == 1)
        rq->keep_alive = !(conn.off && list_has(buf + conn.off, conn.len, "close"));
    else
        rq->keep_alive = conn.off && list_has(buf + conn.off, conn.len, "keep-alive");
    struct http_span ex = rq->field[HF_EXPECT];
    if (ex.off) {
        if (!http_span_is(buf, ex, "100-continue")) {
            rq->why = "an expectation other than 100-continue";
            return 417;
        }
        rq->expect_continue = rq->minor == 1;
    }
    return 0;
}

const char *http_header(const char *buf, const struct http_request *rq, const char *name,
                        size_t *vlen)
{
    const char *end = buf + rq->head_len;
    for (const char *l = buf + rq->fields_off; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        if (!nl)
            break;
        const char *colon = memchr(l, ':', (size_t)(nl - l));
        if (colon && ieq(l, (size_t)(colon - l), name)) {
            const char *v = colon + 1, *e = nl;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *vlen = (size_t)(e - v);
            return v;
        }
        l = nl + 1;
    }
    return NULL;
}

/* ---- chunked bodies ---- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF,
       CH_DONE };

void http_chunked_init(struct http_chunked *c)
{
    memset(c, 0, sizeof *c);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)lower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

long http_chunked_feed(struct http_chunked *c, const char *in, size_t n, char *out, size_t *outn,
                       int *done)
{
    size_t i = 0, o = 0, cap = *outn;
    *done = 0;
    while (i < n && c->state != CH_DONE) {
        char ch = in[i];
        switch (c->state) {
        case CH_SIZE: {
            int h = hexval(ch);
            if (h >= 0) {
                if (++c->digits > 15)
                    return -1;                  /* more than 2^60: no body is that big */
                c->left = c->left * 16 + (uint64_t)h;
            } else if (c->digits && (ch == ';' || ch == ' ' || ch == '\t')) {
                c->state = CH_EXT;
            } else if (c->digits && ch == '\r') {
                c->state = CH_SIZE_LF;
            } else if (c->digits && ch == '\n') {
                goto size_done;
            } else {
                return -1;
            }
            if (++c->line > HTTP_CHUNK_LINE_MAX)
                return -1;
            i++;
            break;
        }
        case CH_EXT:                            /* chunk extensions: ignored, bounded */
            if (ch == '\r')
                c->state = CH_SIZE_LF;
            else if (ch == '\n')
                goto size_done;
            else if ((unsigned char)ch < 0x20 && ch != '\t')
                return -1;
            if (++c->line > HTTP_CHUNK_LINE_MAX)
                return -1;
            i++;
            break;
        case CH_SIZE_LF:
            if (ch != '\n')
                return -1;
        size_done:
            i++;
            c->line = 0;
            c->digits = 0;
            c->state = c->left ? CH_DATA : CH_TRAILER;
            break;
        case CH_DATA: {
            size_t take = n - i;
            if (take > c->left)
                take = (size_t)c->left;
            if (take > cap - o)
                take = cap - o;
            if (!take)
                goto out;                       /* out is full */
            memcpy(out + o, in + i, take);
            o += take;
            i += take;
            c->left -= take;
            if (!c->left)
                c->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (ch == '\n') {
                c->state = CH_SIZE;
            } else if (ch == '\r') {
                c->state = CH_DATA_LF;
            } else {
                return -1;
            }
            i++;
            break;
        case CH_DATA_LF:
            if (ch != '\n')
                return -1;
            c->state = CH_SIZE;
            i++;
            break;
        case CH_TRAILER:                        /* trailer fields, then an empty line */
            if (ch == '\r' || ch == '\n') {
                if (ch == '\r') {
                    c->state = CH_TRAILER_LF;
                } else if (c->line == 0) {
                    c->state = CH_DONE;
                } else {
                    c->line = 0;
                }
            } else {
                if ((unsigned char)ch < 0x20 && ch != '\t')
                    return -1;
                if (++c->line > HTTP_CHUNK_LINE_MAX || ++c->trailer > HTTP_TRAILER_MAX)
                    return -1;
            }
            i++;
            break;
        case CH_TRAILER_LF:
            if (ch != '\n')
                return -1;
            c->state = c->line == 0 ? CH_DONE : CH_TRAILER;
            c->line = 0;
            i++;
            break;
        }
    }
out:
    *outn = o;
    *done = c->state == CH_DONE;
    return (long)i;
}
