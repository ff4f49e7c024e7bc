/* app/handler_table.c: the C handlers built into this image, by the name
 * routes use (`handler NAME`). Add yours here (docs/http.md, "C handlers"). */
#include "app/handler_api.h"

void example_hello(struct handler_ctx *h);

const struct handler_entry handler_table[] = {
    { "hello", example_hello },
    { NULL, NULL },
};
