/* app/json.h: the JSON request body of a sql route (RFC 8259), pure.
 *
 * json_object parses a text that must be one object and lists its
 * members: scalars decoded (strings unescaped into UTF-8, \u surrogate
 * pairs joined; numbers as an integer when they are one that fits int64,
 * else a double), objects and arrays kept as JSON_NESTED with their raw
 * span. Strict: no trailing commas, comments, leading zeros, control
 * characters in strings, invalid UTF-8, lone surrogates, duplicate names
 * or anything after the object; nesting deeper than JSON_DEPTH_MAX is
 * refused. The decoded names and strings are written to scratch, which
 * must hold len + 2 * max bytes (decoding never grows a text).
 */
#ifndef APP_JSON_H
#define APP_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 32

enum json_kind { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_INT, JSON_REAL, JSON_STRING, JSON_NESTED };

struct json_member {
    const char *name;               /* NUL-terminated, in scratch */
    size_t name_len;
    enum json_kind kind;
    int64_t i;
    double d;                       /* JSON_REAL, and JSON_INT too */
    const char *s;                  /* JSON_STRING: decoded, NUL-terminated; JSON_NESTED: raw */
    size_t len;
};

/* Members of the object p[0..len): their count, or -1 with *why (static
 * text) and *at (the byte offset of the problem). More than max members
 * is an error. */
int json_object(const char *p, size_t len, struct json_member *m, size_t max, char *scratch,
                const char **why, size_t *at);
/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int json_utf8_ok(const char *s, size_t n);
/* Code points in valid UTF-8 s[0..n). */
size_t json_utf8_len(const char *s, size_t n);

#endif
