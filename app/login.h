/* app/login.h: the password routes (docs/auth.md): `login` and `logout`
 * route kinds, and sql routes with `hash-password` (user creation), over
 * PBKDF2-HMAC-SHA256 hashes computed in slices between event-loop turns.
 *
 *   login_init(c)            the dummy hash for unknown users; the poller
 *                            that runs hash slices
 *   login_route(...)         POST {"username","password"}: limits, the
 *                            user's row, then the hash (the request parks
 *                            until it is done); 200 + session cookie, or
 *                            the same 401 for any failure
 *   logout_route(...)        the session deleted at once; cookie cleared
 *   login_hash_route(...)    a sql route's password field hashed with a
 *                            fresh salt, then the route runs with the
 *                            stored form bound as :FIELD_hash
 *   login_cancel(c)          the client left while its hash ran
 *   login_metrics(b)         counters for the metrics route
 */
#ifndef APP_LOGIN_H
#define APP_LOGIN_H

#include <stddef.h>

struct config;
struct config_route;
struct http_server;
struct conn;

int login_init(const struct config *c);
void login_route(struct http_server *srv, struct conn *c, const struct config_route *r, const char *body,
                 size_t len);
void logout_route(struct http_server *srv, struct conn *c, const struct config_route *r);
struct url_path;
struct router_match;
void login_hash_route(struct http_server *srv, struct conn *c, const struct config_route *r,
                      const struct url_path *u, const struct router_match *m, const char *body, size_t len);
void login_cancel(struct conn *c);
/* Logins by result and password hashes, for /metrics (Prometheus text). */
struct sbuf;
void login_metrics(struct sbuf *b);

#endif
