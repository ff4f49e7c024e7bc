/* kernel/conf_parse.h: the config language's syntax: a tree of directives.
 * Pure: compiled unchanged into the kernel and into apctl, so both report
 * every syntax error identically; host-tested and fuzzed.
 *
 * Grammar (docs/config.md has the reference of directives):
 *
 *   file      = { statement } ;
 *   statement = name { arg } ( end | block ) ;
 *   block     = "{" { statement } "}" ;
 *   end       = newline | ";" | (before a "}") ;
 *   name      = word ;
 *   arg       = word | string ;
 *   word      = 1*( any byte > 0x20 except { } " ; # ) ;
 *   string    = '"' { any byte but " \ newline | "\" ( '"' | "\" | "n" | "t" ) } '"' ;
 *   comment   = "#" to the end of the line (outside strings) ;
 *   "\" at the end of a line, between arguments: the statement goes on
 *   on the next line ;
 *
 * Tabs and spaces separate; other control bytes are errors. Every node and
 * argument keeps its line and column (1-based, columns in bytes) for the
 * validator's messages. Errors read "FILE:LINE:COL: what is wrong (how to
 * fix it)". The document is caller-owned and holds copies of every string,
 * so the source may be freed after parsing.
 */
#ifndef KERNEL_CONF_PARSE_H
#define KERNEL_CONF_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_NODES 1024
#define CONF_MAX_ARGS 4096          /* all arguments together */
#define CONF_MAX_NODE_ARGS 32
#define CONF_MAX_DEPTH 4
#define CONF_TEXT_MAX (64 * 1024)   /* decoded names and arguments */
#define CONF_SOURCE_MAX (256 * 1024)

struct conf_arg {
    const char *s;                  /* decoded, NUL-terminated */
    uint32_t line, col;
    uint8_t quoted;
};

struct conf_node {
    const char *name;
    uint32_t line, col;
    uint16_t first_arg, nargs;      /* into conf_doc.args */
    int16_t first_child, next;      /* node indexes, -1 none */
    uint8_t has_block;
};

struct conf_doc {
    const char *filename;
    struct conf_node nodes[CONF_MAX_NODES];
    struct conf_arg args[CONF_MAX_ARGS];
    char text[CONF_TEXT_MAX];
    uint32_t nnodes, nargs, ntext;
    int16_t first;                  /* first top-level node, -1 none */
};

/* Write "FILE:LINE:COL: message" into err; returns -1 (for `return`).
 * The one formatter of config errors, shared with config.c. */
int conf_errorf(char *err, size_t errlen, const char *file, uint32_t line, uint32_t col,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* 0, or -1 with "FILE:LINE:COL: message" in err. */
int conf_parse(struct conf_doc *d, const char *src, size_t len, const char *filename,
               char *err, size_t errlen);

#endif
