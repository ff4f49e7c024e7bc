/* app/url.h: request paths and query strings (pure).
 *
 * url_path_parse: the path as the router and the static handler see it
 * (docs/http.md, "Paths"), decoded into a caller's buffer:
 *   - split on '/'; empty segments ('//') are merged away;
 *   - each segment percent-decoded (RFC 3986 section 2.1); a bad escape,
 *     an encoded '/' or '\' (%2F, %5C), an encoded NUL or a raw control
 *     byte is refused (400);
 *   - then dot-segments removed (RFC 3986 section 5.2.4): '.' dropped, '..'
 *     drops the segment before it; '..' above the root is refused (400), so
 *     no path can leave its root, however encoded;
 *   - a trailing '/' is remembered (trailing_slash) but does not make a
 *     segment: /a/ and /a route alike.
 * url_query_next: the next key=value of a query string, '+' and percent
 * decoded; keys may repeat (each occurrence is returned in turn).
 */
#ifndef APP_URL_H
#define APP_URL_H

#include <stddef.h>
#include <stdint.h>

#define URL_SEGMENTS_MAX 32

struct url_path {
    char *buf;                      /* the caller's: decoded segments, NUL-terminated each */
    size_t cap;
    struct { uint32_t off, len; } seg[URL_SEGMENTS_MAX];
    unsigned nseg;
    int trailing_slash;
};

/* 0, or 400 with *why set (also when buf is too small or there are more
 * than URL_SEGMENTS_MAX segments: 414). */
int url_path_parse(const char *p, size_t n, struct url_path *out, const char **why);
/* The segments from i on joined with '/' into dst (for a wildcard's rest
 * and file names): its length, or -1 if cap is too small. */
long url_path_join(const struct url_path *u, unsigned from, char *dst, size_t cap);
/* 1 and key/value (NUL-terminated) for the next pair from *pos; 0 at the
 * end; -1 for a bad escape or a key or value longer than its buffer. */
int url_query_next(const char *q, size_t n, size_t *pos, char *key, size_t kcap, char *val,
                   size_t vcap);

/* The host of a Host field value (RFC 9110 7.2: uri-host [":" port]):
 * its length without the port, or -1 when the value is not a DNS-style
 * name (letters, digits, '-', '.'), an IPv4 address or an [IPv6]
 * literal (hex digits, ':' and '.'), with an optional port of 1-5
 * digits. Port 80's redirect to https builds its Location from it, so
 * nothing else (userinfo, '/', spaces, '%') may pass. */
long url_host_len(const char *v, size_t n);

#endif
