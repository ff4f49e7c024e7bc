/* app/sqlparam.h: a sql route's parameter values (docs/store.md), pure:
 * a request's text (a path segment or query value) or JSON member made
 * into the typed value bound to :name, checked against the route's
 * declaration (kernel/config.h struct config_param). Each call either
 * fills *v or writes the field's error message (one sentence, for the
 * 400's "errors" list) to msg.
 */
#ifndef APP_SQLPARAM_H
#define APP_SQLPARAM_H

#include <stddef.h>
#include "app/json.h"
#include "kernel/kernel.h"
#include "store/store.h"

/* Text values (path segments and query values are always text) are
 * parsed by the declared type: integer decimal digits, real a JSON
 * number, boolean true/false/1/0. v->p may point into s. */
int sqlparam_text(const struct config_param *p, const char *s, size_t n, struct store_value *v, char *msg,
                  size_t cap);
/* JSON values must have the declared type (a string "5" is not an
 * integer); null only when nullable. */
int sqlparam_json(const struct config_param *p, const struct json_member *m, struct store_value *v, char *msg,
                  size_t cap);
/* An absent value: the default, NULL when optional, an error when required. */
int sqlparam_absent(const struct config_param *p, struct store_value *v, char *msg, size_t cap);

#endif
