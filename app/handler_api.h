/* app/handler_api.h: the interface for C handlers: request logic written
 * in C inside app/, named in the config (`GET /hello/:name handler hello`).
 *
 * A handler is a function registered under a name in app/handler_table.c.
 * It runs on the event loop: it must not block and should finish in well
 * under a millisecond (long work belongs in a later issue's job queue).
 * It reads the request through the accessors below and answers once with
 * handler_reply / handler_reply_json; a handler that does not answer gets
 * a 500. The server adds framing, Date, the request id, the security
 * headers and CORS/rate-limit headers as configured.
 *
 * A POST, PUT or PATCH body is read whole (within the route's body-max)
 * before the handler runs: handler_body gives it.
 */
#ifndef APP_HANDLER_API_H
#define APP_HANDLER_API_H

#include <stddef.h>

struct handler_ctx;

/* "GET", "POST", ... */
const char *handler_method(const struct handler_ctx *h);
/* The decoded value of :name in the route's pattern, or NULL. */
const char *handler_param(const struct handler_ctx *h, const char *name);
/* The first query value for key, decoded ('+' and %XX) into buf; NULL if
 * absent or longer than cap - 1. */
const char *handler_query(const struct handler_ctx *h, const char *key, char *buf, size_t cap);
/* A request header's value (not NUL-terminated: *len), or NULL. */
const char *handler_header(const struct handler_ctx *h, const char *name, size_t *len);
const char *handler_request_id(const struct handler_ctx *h);
/* The request body (POST, PUT, PATCH; "" and 0 for none), not
 * NUL-terminated: *len bytes. */
const char *handler_body(const struct handler_ctx *h, size_t *len);

/* Answer: status, media type and body (copied). */
void handler_reply(struct handler_ctx *h, int status, const char *type, const void *body, size_t len);
/* Answer with a JSON text (the caller's, already valid JSON). */
void handler_reply_json(struct handler_ctx *h, int status, const char *json);
/* s escaped as the inside of a JSON string into out; its length. */
size_t handler_json_escape(const char *s, char *out, size_t cap);

typedef void (*handler_fn)(struct handler_ctx *h);
struct handler_entry { const char *name; handler_fn fn; };

#endif
