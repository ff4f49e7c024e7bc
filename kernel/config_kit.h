/* kernel/config_kit.h: what the section validators (config*.c) share and
 * nothing else includes: the validation context, the error formatter with
 * positions, directive-shape checks, value parsers (numbers, durations,
 * sizes), the string arena, file resolution, and an appending writer for
 * `show`. Pure, like the rest of the config.
 */
#ifndef KERNEL_CONFIG_KIT_H
#define KERNEL_CONFIG_KIT_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"
#include "kernel/sbuf.h"

struct vctx {
    const struct conf_doc *d;
    const struct config_files *files;
    struct config *c;
    char *err;
    size_t errlen;
};

#define verr(v, line, col, ...) \
    conf_errorf((v)->err, (v)->errlen, (v)->d->filename, line, col, __VA_ARGS__)
/* An error at argument k of node n. */
#define verr_arg(v, n, k, ...) \
    verr(v, kit_arg(v, n, k)->line, kit_arg(v, n, k)->col, __VA_ARGS__)

const struct conf_arg *kit_arg(const struct vctx *v, const struct conf_node *n, unsigned k);

/* A section's directives. kit_collect fills slot[k].node from the
 * section's children by name (the first, for those that repeat); an
 * unknown name, or a repeat of one that may appear once, is an error
 * naming the known ones. An argument spelled like a directive reads as two
 * directives on one line (an error), unless the slot's repeats has
 * KIT_FREE_WORDS: its arguments are names and keywords of its own (e.g.
 * `api-key NAME role ROLE`, where role is also a directive). */
struct slot { const char *name; const struct conf_node *node; int repeats; };
#define KIT_FREE_WORDS 2
int kit_collect(struct vctx *v, const struct conf_node *sec, struct slot *slot, size_t n);
/* The same, naming the block as where in messages. */
int kit_collect_in(struct vctx *v, const struct conf_node *sec, const char *where, struct slot *slot,
                   size_t n);
int kit_no_block(struct vctx *v, const struct conf_node *n);
/* Exactly k arguments and no block; usage completes the message. */
int kit_want_args(struct vctx *v, const struct conf_node *n, unsigned k, const char *usage);

/* Values of one-argument directives, range-checked with a message that
 * names the range. Durations take a unit (ms, s, m, h, d); sizes take
 * bytes or k, m, g (powers of 1024). */
int kit_uint(struct vctx *v, const struct conf_node *n, uint64_t lo, uint64_t hi, uint64_t *out);
int kit_duration_ms(struct vctx *v, const struct conf_node *n, uint64_t lo_ms, uint64_t hi_ms,
                    uint64_t *out);
int kit_size(struct vctx *v, const struct conf_node *n, uint64_t lo, uint64_t hi, uint64_t *out);
/* RATE [burst B] (rate-limit, login-limit): RATE is N/s or N/m with N
 * 1-100000 a second; without a burst, a second's worth (at least 1).
 * usage completes the messages. */
int kit_rate(struct vctx *v, const struct conf_node *o, const char *usage, uint32_t *per_min,
             uint32_t *burst);
/* Pure number parsers behind them: 0 or -1. */
int kit_parse_uint(const char *s, uint64_t max, uint64_t *out);
int kit_parse_duration_ms(const char *s, uint64_t *out);
int kit_parse_size(const char *s, uint64_t *out);

/* A copy of s in the config's arena; NULL (after an error at node n) if
 * the arena is full. */
const char *kit_keep(struct vctx *v, const struct conf_node *n, const char *s);

/* A path argument (argument k of n): a safe relative name, resolved as a
 * file (kit_file) or a non-empty directory (kit_dir, which calls fn for
 * each file when fn is given). */
int kit_path_ok(struct vctx *v, const struct conf_node *n, unsigned k);
int kit_file(struct vctx *v, const struct conf_node *n, unsigned k, struct config_file *f);
int kit_dir(struct vctx *v, const struct conf_node *n, unsigned k, config_file_fn fn, void *arg);
/* A config_file_fn that does nothing (to count or probe a directory). */
int kit_count_file(void *arg, const char *path, const uint8_t *data, size_t len);
/* 1 if the file or directory named exists (for static, which takes either). */
int kit_is_file(struct vctx *v, const char *path);

/* Writers for show and warnings over kernel/sbuf.h. A value in the config syntax: bare when it is a plain word, else quoted
 * with escapes. */
void sb_value(struct sbuf *b, const char *s);
/* Always quoted, with the language's escapes. */
void sb_quoted(struct sbuf *b, const char *s);
void sb_duration(struct sbuf *b, uint64_t ms);
void sb_size(struct sbuf *b, uint64_t bytes);
/* A kit_rate value, in the shortest unit: "10/s burst 20". */
void sb_rate(struct sbuf *b, uint32_t per_min, uint32_t burst);

/* The section validators and printers (one file each). */
int config_sec_tls(struct vctx *v, const struct conf_node *sec);
int config_sec_firewall(struct vctx *v, const struct conf_node *sec);
int config_sec_limits(struct vctx *v, const struct conf_node *sec);
int config_sec_database(struct vctx *v, const struct conf_node *sec);
int config_sec_auth(struct vctx *v, const struct conf_node *sec);
int config_sec_routes(struct vctx *v, const struct conf_node *sec);
void config_show_tls(const struct config *c, struct sbuf *b);
void config_show_firewall(const struct config *c, struct sbuf *b);
void config_show_limits(const struct config *c, struct sbuf *b);
void config_show_database(const struct config *c, struct sbuf *b);
void config_show_auth(const struct config *c, struct sbuf *b);
void config_show_routes(const struct config *c, struct sbuf *b);
/* Checks across sections, after all are read (e.g. sql routes need a
 * database). */
int config_check_routes(struct vctx *v);
int config_check_auth(struct vctx *v);
/* The auth section's defaults (config_defaults), and its advice for
 * config_warnings. */
void config_auth_defaults(struct config_auth *a);
void config_warn_auth(const struct config *c, struct sbuf *b);
/* A sql route's options (config_sql.c): the sql-only directives of its
 * block, then its :names checked against them. */
int config_route_sql(struct vctx *v, const struct conf_node *n, struct config_route *r);
void config_show_sql(const struct config_route *r, struct sbuf *b);
int config_sql_has_options(const struct config_route *r);

#endif
