/* app/http_parse.h: the HTTP/1.1 request parser (RFC 9110, RFC 9112), pure.
 *
 * The connection keeps a request's head (request line and header fields)
 * in its own buffer as bytes arrive; nothing is allocated per request or
 * per header. Two steps:
 *
 *   http_head_end(buf, len, &scan, lim)   where the head ends: its length,
 *       0 for "need more" (scan, zeroed before the first call, remembers
 *       how far it looked, so each call reads only new bytes), or minus
 *       the status to answer: -414 request line longer than
 *       lim->request_line_max, -431 header lines together longer than
 *       lim->header_max, -400 a bare CR or a NUL. Empty lines before the request line are skipped (RFC
 *       9112 section 2.2). A line may end in CRLF or a bare LF.
 *   http_parse_head(buf, len, lim, rq)    the head into rq: method, target,
 *       version, the header fields the server acts on (as spans into buf)
 *       and the body's framing. 0, or the status to answer (400, 431, 501,
 *       505, 417) with rq->why naming the fault for the log.
 *
 * Framing follows RFC 9112 section 6 and closes the request-smuggling
 * holes as nginx does: HTTP/1.1 without Host, two Host fields, a bad
 * Content-Length or two that differ -> 400; Transfer-Encoding with
 * Content-Length -> 400, on HTTP/1.0 -> 400, other than "chunked" -> 501;
 * obsolete line folding -> 400; whitespace before a field's colon -> 400.
 *
 *   http_chunked_*: the chunked body decoder (RFC 9112 section 7.1),
 *       incremental over any split of the input; trailer fields are read
 *       and ignored; sizes, extensions and trailers are bounded.
 *   http_header(buf, rq, name, &len): any other field's value, by a scan
 *       of the head (case-insensitive name).
 */
#ifndef APP_HTTP_PARSE_H
#define APP_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum http_method {
    HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS, HTTP_METHODS
};
const char *http_method_name(enum http_method m);

struct http_limits {
    uint32_t request_line_max, header_max, headers_max;
};

struct http_span { uint32_t off, len; };     /* into the head buffer; len 0: absent */

/* The fields the server acts on. */
enum http_field {
    HF_HOST, HF_CONTENT_LENGTH, HF_TRANSFER_ENCODING, HF_CONNECTION, HF_EXPECT,
    HF_IF_NONE_MATCH, HF_IF_MODIFIED_SINCE, HF_RANGE, HF_IF_RANGE, HF_ACCEPT_ENCODING,
    HF_ORIGIN, HF_X_REQUEST_ID, HF_ACCESS_CONTROL_REQUEST_METHOD, HF_COUNT
};

struct http_request {
    enum http_method method;
    struct http_span target;        /* the request-target as sent */
    struct http_span path;          /* its path (origin or absolute form; len 0 means "/"),
                                     * "*" for OPTIONS * */
    struct http_span query;         /* after '?', without it; len 0 when none */
    int minor;                      /* HTTP/1.minor: 0 or 1 */
    struct http_span field[HF_COUNT];
    unsigned nfields;
    int keep_alive;                 /* from the version and Connection */
    int chunked;                    /* Transfer-Encoding: chunked */
    int has_length;                 /* Content-Length given */
    uint64_t length;                /* its value */
    int expect_continue;            /* Expect: 100-continue */
    const char *why;                /* the fault, when parsing failed */
    uint32_t fields_off, head_len;  /* where the field lines start; the head's length */
};

struct http_scan { size_t pos, line_start, fields_start; int got_line; };
int http_head_end(const char *buf, size_t len, struct http_scan *scan, const struct http_limits *lim);
int http_parse_head(const char *buf, size_t len, const struct http_limits *lim,
                    struct http_request *rq);
/* The value of field `name` (its first occurrence), or NULL; *vlen its
 * length without surrounding whitespace. */
const char *http_header(const char *buf, const struct http_request *rq, const char *name,
                        size_t *vlen);
/* The next element of a comma-separated field value (RFC 9110 5.6.1):
 * 1 and [*s, *e) without surrounding whitespace, empty elements skipped;
 * 0 at the end. Start with *pos = 0. */
int http_list_next(const char *v, size_t n, size_t *pos, size_t *s, size_t *e);
/* Case-insensitive comparison of a span with a NUL-terminated word. */
int http_span_is(const char *buf, struct http_span s, const char *word);

#define HTTP_CHUNK_LINE_MAX 4096        /* chunk-size line with extensions, or a trailer line */
#define HTTP_TRAILER_MAX 16384          /* all trailer fields together */

struct http_chunked {
    int state;
    uint64_t left;                  /* data bytes left in this chunk */
    uint32_t line;                  /* bytes of the current size or trailer line */
    uint32_t trailer;               /* bytes of trailer so far */
    int digits, ext;
};
void http_chunked_init(struct http_chunked *c);
/* Decode from in[0..n): copies body data into out (at most *outn bytes;
 * *outn is set to what was written) and returns the input bytes used.
 * Sets *done when the last chunk and trailers are complete (the input
 * after that belongs to the next request). Returns -1 on a malformed
 * body (400). */
long http_chunked_feed(struct http_chunked *c, const char *in, size_t n, char *out, size_t *outn,
                       int *done);

#endif
