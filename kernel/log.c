/* kernel/log.c: the kernel side of the console log (see log.h): level
 * filter, timestamp from the monotonic clock, and the registered sink.
 */
#include "kernel/log.h"

#include <string.h>

#include "kernel/clock.h"
#include "kernel/klimits.h"

static void (*log_sink)(const char *s, size_t n);
static enum log_level log_level = LOG_INFO;

void log_set_sink(void (*write)(const char *s, size_t n)) { log_sink = write; }
void log_set_level(enum log_level lvl) { log_level = lvl; }
enum log_level log_get_level(void) { return log_level; }

void log_raw(const char *s, size_t n)
{
    if (log_sink)
        log_sink(s, n);
}

void log_vmsg(enum log_level lvl, const char *subsys, const char *fmt, va_list ap)
{
    if (lvl > log_level || !log_sink)
        return;
    char line[LOG_LINE_MAX];
    size_t n = log_format(line, sizeof line, clock_monotonic_ns(), lvl, subsys, fmt, ap);
    log_sink(line, n);
}

void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lvl, subsys, fmt, ap);
    va_end(ap);
}

void log_lines(enum log_level lvl, const char *subsys, const char *prefix, char *text)
{
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = 0;
        log_msg(lvl, subsys, "%s%s", prefix, line);
    }
}
