/* app/cookie.h: reading the request fields session authentication needs
 * (pure).
 *
 *   cookie_get     a cookie's value from a Cookie field (RFC 6265 section
 *                  5.4: "a=1; b=2"); the first of that name
 *   url_origin     the origin (scheme "://" host [":" port]) an absolute
 *                  URL starts with, as a Referer carries it (RFC 6454)
 *   origin_equal   two origins alike, scheme and host without regard to
 *                  case, a scheme's default port (443, 80) written or not
 *                  (RFC 6454 sections 4 and 5)
 */
#ifndef APP_COOKIE_H
#define APP_COOKIE_H

#include <stddef.h>

const char *cookie_get(const char *field, size_t n, const char *name, size_t *vlen);
/* The origin's length (a prefix of url), or 0 when url is not an absolute
 * http(s) URL with a host. */
size_t url_origin(const char *url, size_t n);
int origin_equal(const char *a, size_t an, const char *b, size_t bn);

#endif
