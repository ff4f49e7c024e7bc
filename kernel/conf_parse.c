/* kernel/conf_parse.c: the config language's lexer and parser (see
 * conf_parse.h). One pass, no recursion beyond CONF_MAX_DEPTH blocks, no
 * allocation: everything lands in the caller's conf_doc. */
#include "kernel/conf_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct lex {
    const char *s;
    size_t len, pos;
    uint32_t line, col;
    struct conf_doc *d;
    char *err;
    size_t errlen;
};

int conf_errorf(char *err, size_t errlen, const char *file, uint32_t line, uint32_t col,
                const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%u:%u: ", file, line, col);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

#define fail(lx, line, col, ...) conf_errorf((lx)->err, (lx)->errlen, (lx)->d->filename, line, col, __VA_ARGS__)

static int peek(const struct lex *lx) { return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1; }

static void advance(struct lex *lx)
{
    if (lx->s[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->pos++;
}

static int is_word(int c)
{
    return c > 0x20 && c != 0x7f && c != '{' && c != '}' && c != '"' && c != ';' && c != '#';
}

/* Skip spaces, tabs and comments (not newlines). Rejects control bytes. */
static int skip_blank(struct lex *lx)
{
    for (;;) {
        int c = peek(lx);
        if (c == ' ' || c == '\t' || c == '\r') {
            if (c == '\r' && (lx->pos + 1 >= lx->len || lx->s[lx->pos + 1] != '\n'))
                return fail(lx, lx->line, lx->col, "carriage return without a newline (save the file with "
                            "Unix or DOS line endings)");
            advance(lx);
        } else if (c == '#') {
            while (peek(lx) != -1 && peek(lx) != '\n')
                advance(lx);
        } else if (c >= 0 && (c < 0x20 || c == 0x7f) && c != '\n') {
            return fail(lx, lx->line, lx->col, "control character 0x%02x (remove it; only spaces, "
                        "tabs and newlines separate words)", c);
        } else {
            return 0;
        }
    }
}

static const char *store(struct lex *lx, const char *p, size_t n, uint32_t line, uint32_t col)
{
    struct conf_doc *d = lx->d;
    if (n + 1 > CONF_TEXT_MAX - d->ntext) {
        fail(lx, line, col, "config text larger than %d bytes (shorten it)", CONF_TEXT_MAX);
        return NULL;
    }
    char *out = d->text + d->ntext;
    memcpy(out, p, n);
    out[n] = 0;
    d->ntext += (uint32_t)n + 1;
    return out;
}

/* A word or a quoted string at the current position. */
static int token(struct lex *lx, const char **out, uint8_t *quoted)
{
    uint32_t line = lx->line, col = lx->col;
    if (peek(lx) != '"') {
        size_t start = lx->pos;
        while (is_word(peek(lx)))
            advance(lx);
        *quoted = 0;
        *out = store(lx, lx->s + start, lx->pos - start, line, col);
        return *out ? 0 : -1;
    }
    advance(lx);
    char buf[1024];
    size_t n = 0;
    for (;;) {
        int c = peek(lx);
        if (c == -1 || c == '\n')
            return fail(lx, line, col, "string not closed on its line (add the closing \")");
        if (c == '"') {
            advance(lx);
            break;
        }
        if (c == '\\') {
            uint32_t el = lx->line, ec = lx->col;
            advance(lx);
            c = peek(lx);
            if (c == '"' || c == '\\')
                ;
            else if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else
                return fail(lx, el, ec, "unknown escape in string (use \\\", \\\\, \\n or \\t)");
        } else if (c < 0x20 || c == 0x7f) {
            return fail(lx, lx->line, lx->col, "control character 0x%02x in string (use \\n or \\t)", c);
        }
        if (n == sizeof buf - 1)
            return fail(lx, line, col, "string longer than %zu bytes", sizeof buf - 1);
        buf[n++] = (char)c;
        advance(lx);
    }
    *quoted = 1;
    *out = store(lx, buf, n, line, col);
    return *out ? 0 : -1;
}

static int parse_block(struct lex *lx, int depth, int16_t *first, uint32_t open_line, uint32_t open_col);

/* Statements until '}' (inside a block) or the end of input (top level). */
static int parse_block(struct lex *lx, int depth, int16_t *first, uint32_t open_line, uint32_t open_col)
{
    struct conf_doc *d = lx->d;
    int16_t *link = first;
    *first = -1;
    for (;;) {
        if (skip_blank(lx) < 0)
            return -1;
        int c = peek(lx);
        if (c == -1) {
            if (depth > 0)
                return fail(lx, open_line, open_col, "block opened here is not closed (add a '}')");
            return 0;
        }
        if (c == '\n' || c == ';') {
            advance(lx);
            continue;
        }
        if (c == '}') {
            if (depth == 0)
                return fail(lx, lx->line, lx->col, "'}' without a matching '{' (remove it)");
            advance(lx);
            return 0;
        }
        if (c == '{')
            return fail(lx, lx->line, lx->col, "'{' without a directive name before it (e.g. 'routes {')");
        if (c == '"')
            return fail(lx, lx->line, lx->col, "a directive name cannot be a quoted string");
        if (d->nnodes == CONF_MAX_NODES)
            return fail(lx, lx->line, lx->col, "more than %d directives", CONF_MAX_NODES);
        struct conf_node *nd = &d->nodes[d->nnodes];
        int16_t idx = (int16_t)d->nnodes++;
        memset(nd, 0, sizeof *nd);
        nd->line = lx->line;
        nd->col = lx->col;
        nd->first_child = -1;
        nd->next = -1;
        nd->first_arg = (uint16_t)d->nargs;
        uint8_t q;
        if (token(lx, &nd->name, &q) < 0)
            return -1;
        *link = idx;
        link = &nd->next;
        /* Arguments up to the end of the statement or a block. */
        for (;;) {
            if (skip_blank(lx) < 0)
                return -1;
            c = peek(lx);
            /* A '\' ending a line continues the statement on the next
             * (long sql routes, several statements). */
            if (c == '\\') {
                size_t k = lx->pos + 1;
                if (k < lx->len && lx->s[k] == '\r')
                    k++;
                if (k < lx->len && lx->s[k] == '\n') {
                    while (lx->pos <= k)
                        advance(lx);
                    continue;
                }
            }
            if (c == -1 || c == '\n' || c == ';' || c == '}')
                break;
            if (c == '{') {
                if (depth + 1 > CONF_MAX_DEPTH)
                    return fail(lx, lx->line, lx->col, "blocks nested deeper than %d", CONF_MAX_DEPTH);
                uint32_t ol = lx->line, oc = lx->col;
                advance(lx);
                nd->has_block = 1;
                if (parse_block(lx, depth + 1, &nd->first_child, ol, oc) < 0)
                    return -1;
                break;
            }
            if (nd->nargs == CONF_MAX_NODE_ARGS)
                return fail(lx, lx->line, lx->col, "more than %d arguments to '%s'", CONF_MAX_NODE_ARGS,
                            nd->name);
            if (d->nargs == CONF_MAX_ARGS)
                return fail(lx, lx->line, lx->col, "more than %d arguments in the file", CONF_MAX_ARGS);
            struct conf_arg *a = &d->args[d->nargs];
            a->line = lx->line;
            a->col = lx->col;
            if (token(lx, &a->s, &a->quoted) < 0)
                return -1;
            d->nargs++;
            nd->nargs++;
        }
    }
}

int conf_parse(struct conf_doc *d, const char *src, size_t len, const char *filename,
               char *err, size_t errlen)
{
    d->filename = filename;
    d->nnodes = d->nargs = d->ntext = 0;
    d->first = -1;
    struct lex lx = { src, len, 0, 1, 1, d, err, errlen };
    if (len > CONF_SOURCE_MAX)
        return fail(&lx, 1, 1, "file larger than %d bytes", CONF_SOURCE_MAX);
    const char *nul = memchr(src, 0, len);
    if (nul) {
        uint32_t line = 1, col = 1;
        for (const char *p = src; p < nul; p++, col++)
            if (*p == '\n')
                line++, col = 0;
        return fail(&lx, line, col, "NUL byte (this is not a text file)");
    }
    return parse_block(&lx, 0, &d->first, 1, 1);
}
