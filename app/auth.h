/* app/auth.h: authentication and authorization for the routes that take
 * credentials (docs/auth.md), inside app/.
 *
 *   auth_init(c)           keys, the session cache, the login dummy hash
 *   auth_request(s, c, r)  before a route that takes credentials runs:
 *                          who the caller is (API key, JWT, session
 *                          cookie), whether the route takes that scheme,
 *                          CSRF for cookie-authenticated unsafe methods,
 *                          and the route's permission. 0 with c->id set,
 *                          or -1 with the 401/403 answer prepared.
 *   auth_audit(...)        one event to the console and the audit table
 *
 * Sessions (for app/login.c): made at login, found by the cookie (the
 * in-memory cache first, then the table), deleted at logout; the table
 * keeps the SHA-256 of each session id, never the id.
 */
#ifndef APP_AUTH_H
#define APP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "app/jwt.h"

#define AUTH_SID_CHARS 43           /* 32 random bytes in base64url */
#define AUTH_CSRF_CHARS 22          /* 16 random bytes in base64url */

/* Who made the request (all zero: nobody). */
struct auth_ident {
    unsigned scheme;                /* CONFIG_AUTH_* that authenticated it, 0: none */
    int role;                       /* index into the config's roles, -1: none */
    int has_user;
    int64_t user_id;                /* :auth_user_id when has_user */
    char name[JWT_SUB_MAX + 1];     /* :auth_name: key name, token subject, session user id */
};

struct http_server;
struct conn;
struct config;
struct config_route;

int auth_init(const struct config *c);
int auth_request(struct http_server *srv, struct conn *c, const struct config_route *r);

/* An audit event: event ("login", "login-failed", "denied", ...), the
 * user it concerns (NULL: none), the scheme's name (NULL: none), and a
 * detail without secrets. addr, method and path say where from. A
 * failure-kind event (fail set) is rate-limited. */
void auth_audit(const char *event, const char *user, const char *scheme, uint32_t addr, const char *method,
                const char *path, size_t path_len, const char *detail, int fail);

/* A session found by the request's cookie. */
struct auth_session {
    uint8_t hash[32];               /* of the id */
    int64_t user_id;
    int role;
    char csrf[AUTH_CSRF_CHARS + 1];
    int64_t expires;                /* seconds since 1970 */
};
/* 1 found (live), 0 none or expired (an expired one is deleted), -1 the
 * store failed. */
int auth_session_find(const struct conn *c, struct auth_session *s);
/* A new session for user with role (text from the users table, NULL for
 * none): its id and CSRF token (NUL-terminated). 0, or -1 (store or
 * entropy failure; logged). */
int auth_session_create(int64_t user, const char *role, char sid[AUTH_SID_CHARS + 1],
                        char csrf[AUTH_CSRF_CHARS + 1]);
void auth_session_delete(const uint8_t hash[32]);
/* The CSRF checks for a cookie-authenticated unsafe method: 0, or -1
 * with the 403 prepared. */
int auth_csrf(struct conn *c, const struct auth_session *s);
/* 1 when origin o[0..n) may act with the session: a csrf-origin, or
 * https:// and the request's own Host. */
int auth_origin_ok(const struct conn *c, const char *o, size_t n);
/* Set-Cookie for sid (NULL: clear it). */
void auth_cookie(struct conn *c, const char *sid);
/* The index of a role by name, or -1. */
int auth_role_index(const char *name, size_t n);
/* 1 when the wall clock has a plausible date (expiry can be judged). */
int auth_clock_ok(void);
/* Refusals by reason, for /metrics. */
struct sbuf;
void auth_metrics(struct sbuf *b);
/* Dotted quad of addr into out (16 bytes). */
const char *auth_addr(uint32_t addr, char out[16]);

#endif
