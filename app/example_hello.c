/* app/example_hello.c: the example C handler (docs/http.md, "C handlers").
 *
 *   GET /hello/:name handler hello      -> {"hello":"NAME","lang":"en"}
 *   GET /hello/:name?lang=fr            -> {"hello":"NAME","lang":"fr"}
 *   POST /hello/:name with a body       -> ..., "body_bytes":N
 *
 * It shows the whole interface: a path parameter, a query value, a header,
 * the body, JSON escaping of what the client sent, and an error answer. */
#include <stdio.h>
#include <string.h>

#include "app/handler_api.h"

void example_hello(struct handler_ctx *h)
{
    const char *name = handler_param(h, "name");
    char lang[16];
    if (!handler_query(h, "lang", lang, sizeof lang))
        strcpy(lang, "en");
    if (strcmp(lang, "en") != 0 && strcmp(lang, "fr") != 0) {
        handler_reply_json(h, 400, "{\"error\":{\"status\":400,\"message\":\"lang is en or fr\"}}");
        return;
    }
    char who[256], json[440], bytes[48] = "";
    handler_json_escape(name ? name : "world", who, sizeof who);
    size_t ua_len;
    const char *ua = handler_header(h, "user-agent", &ua_len);
    size_t body_len;
    handler_body(h, &body_len);
    if (body_len)
        snprintf(bytes, sizeof bytes, ",\"body_bytes\":%zu", body_len);
    snprintf(json, sizeof json, "{\"hello\":\"%s\",\"lang\":\"%s\",\"greeting\":\"%s\",\"has_user_agent\":%s%s}",
             who, lang, strcmp(lang, "fr") ? "hello" : "bonjour", ua ? "true" : "false", bytes);
    handler_reply_json(h, 200, json);
}
