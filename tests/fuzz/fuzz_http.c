/* libFuzzer target: raw bytes -> the HTTP/1.1 parser (app/http_parse.c).
 * The first byte picks how the bytes arrive (in steps of 1-16); the head is
 * scanned incrementally and must give the same answer as one whole scan;
 * an accepted head's spans must lie inside it; what follows goes through
 * the chunked decoder in small pieces. Out-of-bounds reads (each step is a
 * fresh exact-size copy), overflows and crashes are what it hunts. */
#include <stdlib.h>
#include <string.h>
#include "app/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)(data[0] & 15) + 1;
    data++;
    size--;
    static const struct http_limits lim = { .request_line_max = 256, .header_max = 1024, .headers_max = 20 };
    struct http_scan sc = { 0 };
    int end = 0;
    for (size_t n = step < size ? step : size; end == 0; n = n + step < size ? n + step : size) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, data, n);
        end = http_head_end(copy, n, &sc, &lim);
        free(copy);
        if (n == size)
            break;
    }
    struct http_scan whole = { 0 };
    char *all = malloc(size ? size : 1);
    memcpy(all, data, size);
    if (http_head_end(all, size, &whole, &lim) != end)
        __builtin_trap();
    if (end > 0) {
        struct http_request rq;
        char *head = malloc((size_t)end);
        memcpy(head, data, (size_t)end);
        if (http_parse_head(head, (size_t)end, &lim, &rq) == 0) {
            struct http_span sp[3] = { rq.target, rq.path, rq.query };
            for (int i = 0; i < 3; i++)
                if (sp[i].off + sp[i].len > (uint32_t)end)
                    __builtin_trap();
            for (int f = 0; f < HF_COUNT; f++)
                if (rq.field[f].off + rq.field[f].len > (uint32_t)end)
                    __builtin_trap();
            size_t vl;
            const char *v = http_header(head, &rq, "x-a", &vl);
            if (v && (v < head || v + vl > head + end))
                __builtin_trap();
        }
        free(head);
        struct http_chunked c;
        http_chunked_init(&c);
        size_t i = (size_t)end;
        int done = 0;
        while (i < size && !done) {
            size_t k = size - i < step ? size - i : step;
            char *piece = malloc(k);
            memcpy(piece, data + i, k);
            char out[5];
            size_t on = sizeof out;
            long r = http_chunked_feed(&c, piece, k, out, &on, &done);
            free(piece);
            if (r < 0)
                break;
            if ((size_t)r > k || on > sizeof out || (r == 0 && on == 0 && !done))
                __builtin_trap();
            i += (size_t)r;
        }
    }
    free(all);
    return 0;
}
