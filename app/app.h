/* app/app.h: the application layer's public face for kernel/main.c: the
 * HTTP/1.1 server on the config's routes (docs/http.md).
 *
 *   app_start(c)         index the blob's static files, size the
 *                        connection pool from the config and the heap,
 *                        listen on port 80 and, with a tls section, on
 *                        443 with TLS (docs/tls.md). 0 or -1 (logged).
 *   app_set_ready(r)     readiness for the `ready` route kind: false until
 *                        init is done (and, later, while draining).
 *   app_log_stats()      the server's counters on the console.
 *   app_drain()          shutting down: stop accepting (every port),
 *                        readiness false, idle keep-alive connections
 *                        closed, the others closed after their current
 *                        response.
 *   app_open()           connections still open (the drain waits for 0).
 */
#ifndef APP_APP_H
#define APP_APP_H

#include <stdint.h>

struct config;

int app_start(const struct config *c);
void app_set_ready(int ready);
void app_log_stats(void);
void app_drain(void);
unsigned app_open(void);

#endif
