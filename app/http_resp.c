/* app/http_resp.c: the pieces of an HTTP response (pure; see
 * app/http_resp.h). */
#include "app/http_resp.h"

#include "app/http_parse.h"

#include <stdio.h>
#include <string.h>

const char *http_status_text(int s)
{
    switch (s) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static const char days[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void http_date(int64_t t, char out[30])
{
    if (t < 0)
        t = 0;
    int64_t day = t / 86400, y;
    unsigned m, d, sec = (unsigned)(t % 86400);
    civil(day, &y, &m, &d);
    snprintf(out, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT", days[day % 7], d, months[m - 1],
             (unsigned)(y % 10000), sec / 3600, sec / 60 % 60, sec % 60);
}

void http_stamp(int64_t t, char out[16])
{
    if (t < 0)
        t = 0;
    int64_t y;
    unsigned m, d, sec = (unsigned)(t % 86400);
    civil(t / 86400, &y, &m, &d);
    snprintf(out, 16, "%04u%02u%02u-%02u%02u%02u", (unsigned)(y % 10000), m, d, sec / 3600, sec / 60 % 60,
             sec % 60);
}

static int num(const char *s, int n, unsigned *out)
{
    unsigned x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *out = x;
    return 0;
}

int http_date_parse(const char *s, size_t n, int64_t *out)
{
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
        return -1;
    unsigned d, y, hh, mm, ss, m = 0;
    if (num(s + 5, 2, &d) || num(s + 12, 4, &y) || num(s + 17, 2, &hh) || num(s + 20, 2, &mm) ||
        num(s + 23, 2, &ss))
        return -1;
    while (m < 12 && memcmp(s + 8, months[m], 3) != 0)
        m++;
    if (m == 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
        return -1;
    *out = days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

size_t json_escape(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        const char *rep = NULL;
        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c < 0x20 || c == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            rep = tmp;
        }
        size_t k = rep ? strlen(rep) : 1;
        if (o + k >= cap)
            break;
        if (rep)
            memcpy(out + o, rep, k);
        else
            out[o] = (char)c;
        o += k;
    }
    out[o] = 0;
    return o;
}

size_t http_error_json(int status, const char *message, char *out, size_t cap)
{
    char m[256];
    const char *msg = message ? message : http_status_text(status);
    json_escape(msg, strlen(msg), m, sizeof m);
    int k = snprintf(out, cap, "{\"error\":{\"status\":%d,\"message\":\"%s\"}}\n", status, m);
    return k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
}

const char *http_media_type(const char *name)
{
    static const struct { const char *ext, *type; } t[] = {
        { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
        { "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
        { "mjs", "text/javascript; charset=utf-8" }, { "json", "application/json" },
        { "txt", "text/plain; charset=utf-8" }, { "md", "text/markdown; charset=utf-8" },
        { "csv", "text/csv; charset=utf-8" }, { "xml", "application/xml" },
        { "svg", "image/svg+xml" }, { "png", "image/png" }, { "jpg", "image/jpeg" },
        { "jpeg", "image/jpeg" }, { "gif", "image/gif" }, { "webp", "image/webp" },
        { "avif", "image/avif" }, { "ico", "image/vnd.microsoft.icon" }, { "woff", "font/woff" },
        { "woff2", "font/woff2" }, { "ttf", "font/ttf" }, { "otf", "font/otf" },
        { "pdf", "application/pdf" }, { "wasm", "application/wasm" }, { "map", "application/json" },
        { "webmanifest", "application/manifest+json" }, { "mp4", "video/mp4" },
        { "webm", "video/webm" }, { "mp3", "audio/mpeg" }, { "zip", "application/zip" },
    };
    const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
    if (!dot || (slash && dot < slash))
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *a = dot + 1, *b = t[i].ext;
        while (*a && *b && (*a | 32) == *b)
            a++, b++;
        if (!*a && !*b)
            return t[i].type;
    }
    return "application/octet-stream";
}

void http_etag(const uint8_t *data, size_t len, char out[19])
{
    uint64_t h = 0xcbf29ce484222325ull;         /* FNV-1a 64 over the content and its length */
    for (size_t i = 0; i < len; i++) {
        h ^= data[i];
        h *= 0x100000001b3ull;
    }
    h ^= (uint64_t)len;
    h *= 0x100000001b3ull;
    snprintf(out, 19, "\"%016llx\"", (unsigned long long)h);
}

int http_etag_match(const char *v, size_t n, const char *etag)
{
    size_t el = strlen(etag), pos = 0, s, e;
    while (http_list_next(v, n, &pos, &s, &e)) {
        if (v[s] == '*')
            return 1;
        if (e - s >= 2 && v[s] == 'W' && v[s + 1] == '/')
            s += 2;                             /* weak comparison */
        if (e - s == el && memcmp(v + s, etag, el) == 0)
            return 1;
    }
    return 0;
}

static int dec(const char *s, size_t n, size_t *i, uint64_t *out)
{
    uint64_t x = 0;
    size_t st = *i;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (*i - st >= 18)
            return -1;
        x = x * 10 + (uint64_t)(s[(*i)++] - '0');
    }
    *out = x;
    return *i > st ? 0 : -1;
}

int http_range(const char *v, size_t n, uint64_t len, uint64_t *lo, uint64_t *hi)
{
    if (n < 7 || memcmp(v, "bytes=", 6) != 0)
        return 0;
    for (size_t k = 6; k < n; k++)
        if (v[k] == ',')
            return 0;                           /* several ranges: the whole body instead */
    size_t i = 6;
    uint64_t a, b;
    if (v[i] == '-') {                          /* the last b bytes */
        i++;
        if (dec(v, n, &i, &b) < 0 || i != n)
            return 0;
        if (b == 0 || len == 0)
            return -1;
        *lo = b >= len ? 0 : len - b;
        *hi = len - 1;
        return 1;
    }
    if (dec(v, n, &i, &a) < 0 || i >= n || v[i++] != '-')
        return 0;
    if (i == n) {
        b = len ? len - 1 : 0;
    } else {
        if (dec(v, n, &i, &b) < 0 || i != n || b < a)
            return 0;
        if (len && b >= len)
            b = len - 1;
    }
    if (a >= len)
        return -1;
    *lo = a;
    *hi = b;
    return 1;
}

int http_accepts(const char *v, size_t n, const char *coding)
{
    size_t cl = strlen(coding), pos = 0, s, e;
    while (http_list_next(v, n, &pos, &s, &e)) {
        size_t c = s;
        while (c < e && v[c] != ';' && v[c] != ' ' && v[c] != '\t')
            c++;
        int match = c - s == cl;
        for (size_t k = 0; match && k < cl; k++)
            match = (v[s + k] | 32) == coding[k];
        if (!match)
            continue;
        /* q=0 means "not acceptable" (RFC 9110 section 12.4.2). */
        int zero = 0;
        for (size_t i = c; i + 1 < e; i++) {
            if (v[i] == 'q' && v[i + 1] == '=') {
                size_t q = i + 2;
                zero = q < e && v[q] == '0';
                for (q++; zero && q < e && v[q] != ' '; q++)
                    if (v[q] != '.' && v[q] != '0')
                        zero = 0;
            }
        }
        return !zero;
    }
    return 0;
}
