/* net/tls_sni.c: the certificate for a server name (see tls_sni.h). */
#include "net/tls_sni.h"

#include <string.h>

static int same_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

unsigned tls_sni_pick(const struct config_tls *t, const char *sni)
{
    size_t n = sni ? strlen(sni) : 0;
    if (!n)
        return 0;
    /* The configured names are lower case (config_sec_tls). */
    for (unsigned i = 1; i < t->ncert; i++)
        for (unsigned k = 0; k < t->cert[i].nnames; k++) {
            const char *p = t->cert[i].names[k];
            if (p[0] != '*' && strlen(p) == n && same_ci(sni, p, n))
                return i;
        }
    const char *dot = strchr(sni, '.');
    if (!dot || dot == sni)
        return 0;
    size_t rest = n - (size_t)(dot - sni);       /* ".example.com" */
    for (unsigned i = 1; i < t->ncert; i++)
        for (unsigned k = 0; k < t->cert[i].nnames; k++) {
            const char *p = t->cert[i].names[k];
            if (p[0] == '*' && strlen(p + 1) == rest && same_ci(dot, p + 1, rest))
                return i;
        }
    return 0;
}
