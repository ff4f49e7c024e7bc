/* kernel/log_format.c: pure formatting of console log lines (see log.h).
 * Host-tested in tests/unit/test_log.c.
 */
#include "kernel/log.h"

#include <stdio.h>
#include <string.h>

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

const char *log_level_name(enum log_level lvl)
{
    return (unsigned)lvl < 4 ? level_names[lvl] : "?";
}

int log_level_parse(const char *name, enum log_level *out)
{
    static const char *const lower[] = { "error", "warn", "info", "debug" };
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(name, lower[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

size_t log_format(char *buf, size_t cap, uint64_t ts_ns, enum log_level lvl,
                  const char *subsys, const char *fmt, va_list ap)
{
    uint64_t sec = ts_ns / 1000000000u;
    unsigned usec = (unsigned)((ts_ns % 1000000000u) / 1000u);
    int p = snprintf(buf, cap, "[%5llu.%06u] %-5s %s: ", (unsigned long long)sec, usec,
                     log_level_name(lvl), subsys ? subsys : "-");
    size_t head = (p < 0) ? 0 : (size_t)p;
    if (head > cap - 5)
        head = cap - 5;

    /* Room for the message: cap minus head, the '\n' and the NUL. */
    size_t room = cap - head - 2;
    int m = vsnprintf(buf + head, room + 1, fmt, ap);
    size_t len = (m < 0) ? 0 : (size_t)m;
    if (len > room) {
        len = room;
        memcpy(buf + head + len - 3, "...", 3);
    }
    /* One event, one line: no control characters inside the message. */
    for (size_t i = head; i < head + len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n' || c == '\r' || c == '\t')
            buf[i] = ' ';
        else if (c < 0x20 || c == 0x7f)
            buf[i] = '?';
    }
    buf[head + len] = '\n';
    buf[head + len + 1] = '\0';
    return head + len + 1;
}

/* Tokens in milliseconds: a line costs 1000/per_sec. */
int log_limit_take(struct log_limit *l, uint64_t now_ms, unsigned burst, unsigned per_sec)
{
    uint64_t cost = 1000 / (per_sec ? per_sec : 1), cap = cost * burst;
    if (!l->last_ms)
        l->tokens_ms = cap;                     /* the first burst is whole */
    l->tokens_ms += now_ms - l->last_ms;
    l->last_ms = now_ms;
    if (l->tokens_ms > cap)
        l->tokens_ms = cap;
    if (l->tokens_ms < cost) {
        l->suppressed++;
        return 0;
    }
    l->tokens_ms -= cost;
    return 1;
}
