/* app/http_resp.h: the pieces of an HTTP response (pure): status phrases,
 * dates (RFC 9110 section 5.6.7), JSON escaping and the JSON error body,
 * media types by file extension, strong ETags, Range (RFC 9110 section
 * 14) and Accept-Encoding (section 12.5.3) decisions.
 */
#ifndef APP_HTTP_RESP_H
#define APP_HTTP_RESP_H

#include <stddef.h>
#include <stdint.h>

const char *http_status_text(int status);
/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes + NUL). */
void http_date(int64_t epoch, char out[30]);
/* "YYYYMMDD-HHMMSS" (UTC), for file names (15 bytes + NUL). */
void http_stamp(int64_t epoch, char out[16]);
/* An IMF-fixdate into seconds since 1970; 0, or -1 if it is not one (the
 * field is then ignored, as RFC 9110 section 13.1.3 asks). */
int http_date_parse(const char *s, size_t n, int64_t *out);
/* s as the inside of a JSON string; returns the length (cut to cap - 1). */
size_t json_escape(const char *s, size_t n, char *out, size_t cap);
/* {"error":{"status":404,"message":"Not Found"}} with a message of one's
 * own or the status phrase. Returns the length. */
size_t http_error_json(int status, const char *message, char *out, size_t cap);
/* "text/html; charset=utf-8" etc. by the name's extension. */
const char *http_media_type(const char *name);
/* A strong ETag from the content: "\"<16 hex>\"" (18 bytes + NUL). */
void http_etag(const uint8_t *data, size_t len, char out[19]);
/* Does an If-None-Match value match etag ("*" or a list; weak
 * comparison, as RFC 9110 section 13.1.2 asks for GET)? */
int http_etag_match(const char *v, size_t n, const char *etag);
/* A single byte range for a body of size len: 1 and [*lo, *hi] (inclusive)
 * for a satisfiable range, 0 to ignore the field (absent, not bytes,
 * several ranges, malformed: the whole body is sent), -1 unsatisfiable
 * (416). */
int http_range(const char *v, size_t n, uint64_t len, uint64_t *lo, uint64_t *hi);
/* Does Accept-Encoding accept coding (e.g. "gzip") with q > 0? */
int http_accepts(const char *v, size_t n, const char *coding);

#endif
