/* kernel/log.h: the console log: levels, monotonic timestamps, one line per
 * event.
 *
 * Line format (docs/architecture.md): "[SSSSS.uuuuuu] LEVEL subsys: message\n"
 * where the time is seconds since boot. Control characters in the message
 * are replaced so one event is always one line; lines longer than
 * LOG_LINE_MAX end in "..." . Callable from any context, interrupt handlers
 * included (formatting uses only the caller's stack). Before a sink is set,
 * lines are dropped.
 */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Pure: format one line into buf (cap >= 32). Returns its length, always
 * < cap, NUL-terminated, ending in '\n'. */
size_t log_format(char *buf, size_t cap, uint64_t ts_ns, enum log_level lvl,
                  const char *subsys, const char *fmt, va_list ap);
/* Pure: "error" "warn" "info" "debug" -> level; 0 ok, -1 unknown name. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level lvl);

/* Pure: a token bucket for event logs a peer can trigger (drops, failed
 * handshakes): at most burst lines at once, per_sec a second after that.
 * log_limit_take returns 1 when a line may be written now, 0 when it is
 * to be suppressed (counted in suppressed; the next line written says how
 * many and resets it). Zero-initialised state is ready, with a full
 * burst. now_ms must be non-zero (milliseconds since boot). */
struct log_limit { uint64_t tokens_ms, last_ms, suppressed; };
int log_limit_take(struct log_limit *l, uint64_t now_ms, unsigned burst, unsigned per_sec);

/* Kernel side. The sink writes raw bytes (the serial console). */
void log_set_sink(void (*write)(const char *s, size_t n));
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level lvl, const char *subsys, const char *fmt, va_list ap);
/* Each '\n'-terminated line of text as one log line, after prefix (text
 * is cut in place). */
void log_lines(enum log_level lvl, const char *subsys, const char *prefix, char *text);
/* Raw text straight to the sink (exception dumps keep their own layout). */
void log_raw(const char *s, size_t n);

#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...) log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_msg(LOG_DEBUG, sub, __VA_ARGS__)

#endif
