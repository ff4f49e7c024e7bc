/* kernel/textpat.h: the `pattern` check of a sql route's text parameter
 * (docs/store.md): a small regular-expression language matched in time
 * linear in the text, whatever the pattern (no backtracking, so no
 * ReDoS). Pure: the config checks a pattern's syntax with it, app/
 * matches values with it.
 *
 * The pattern must match the whole value (as if between ^ and $, which
 * may be written and mean nothing more). Atoms: a literal byte; '\'
 * before punctuation for that byte; \d digit, \w [A-Za-z0-9_], \s space,
 * tab, CR, LF; '.' any byte; [...] a class of bytes and ranges, [^...]
 * its complement. Each atom may be followed by one of * + ? {m} {m,}
 * {m,n} (m, n at most 64). No groups and no alternation. At most
 * TEXTPAT_ATOMS atoms once {m,n} is expanded. Bytes, not characters:
 * '.' on a multi-byte UTF-8 letter matches one of its bytes.
 */
#ifndef KERNEL_TEXTPAT_H
#define KERNEL_TEXTPAT_H

#include <stddef.h>
#include <stdint.h>

#define TEXTPAT_ATOMS 63

struct textpat {
    uint8_t set[TEXTPAT_ATOMS][32];     /* bytes each atom takes */
    uint8_t kind[TEXTPAT_ATOMS];        /* TEXTPAT_ONE, _OPT, _STAR */
    unsigned n;
};

/* 0, or -1 with what is wrong in *why (static text). */
int textpat_compile(const char *pattern, struct textpat *p, const char **why);
/* 1 when the whole of s[0..len) matches. */
int textpat_match(const struct textpat *p, const char *s, size_t len);

#endif
