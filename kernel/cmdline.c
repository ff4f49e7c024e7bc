/* kernel/cmdline.c: command-line parsing (see cmdline.h). */
#include "kernel/cmdline.h"

#include <string.h>

int cmdline_parse(struct cmdline *c, const char *s)
{
    int rc = 0;
    c->nargs = 0;
    c->buf[0] = '\0';
    if (!s)
        return 0;
    size_t len = strlen(s);
    if (len >= sizeof c->buf) {
        len = sizeof c->buf - 1;
        rc = -1;
    }
    memcpy(c->buf, s, len);
    c->buf[len] = '\0';

    char *p = c->buf;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            *p++ = '\0';
        if (!*p)
            break;
        if (c->nargs == CMDLINE_MAX_ARGS)
            return -1;
        char *word = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if (*p)
            *p++ = '\0';
        char *eq = strchr(word, '=');
        c->args[c->nargs].key = word;
        if (eq) {
            *eq = '\0';
            c->args[c->nargs].val = eq + 1;
        } else {
            c->args[c->nargs].val = word + strlen(word); /* "" */
        }
        c->nargs++;
    }
    return rc;
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < c->nargs; i++)
        if (strcmp(c->args[i].key, key) == 0)
            v = c->args[i].val;
    return v;
}
