/* net/ipcfg.c: parse the address configuration (pure, host-tested).
 * Until the config blob exists it comes from the kernel command line:
 *   ip=dhcp (default)   or   ip=A.B.C.D/N [gw=A.B.C.D]
 */
#include "net/net.h"

#include "kernel/kernel.h"

#include <stdio.h>
#include <string.h>

int net_parse_ipv4(const char *s, uint8_t out[4])
{
    return config_parse_ipv4(s, out);
}

int net_parse_config(const char *ip, const char *gw, struct net_ipv4 *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (!ip || strcmp(ip, "dhcp") == 0) {
        cfg->dhcp = 1;
        if (gw) {
            snprintf(err, errlen, "gw=%s given with DHCP: the gateway comes from the DHCP server", gw);
            return -1;
        }
        return 0;
    }
    char a[20];
    const char *slash = strchr(ip, '/');
    size_t alen = slash ? (size_t)(slash - ip) : strlen(ip);
    if (!slash || alen >= sizeof a) {
        snprintf(err, errlen, "ip=%s: want ip=dhcp or ip=A.B.C.D/PREFIX (e.g. 192.0.2.10/24)", ip);
        return -1;
    }
    memcpy(a, ip, alen);
    a[alen] = 0;
    if (net_parse_ipv4(a, cfg->addr) < 0) {
        snprintf(err, errlen, "ip=%s: '%s' is not a dotted-quad IPv4 address", ip, a);
        return -1;
    }
    const char *p = slash + 1;
    unsigned bits = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3)
        bits = bits * 10 + (unsigned)(*p++ - '0'), digits++;
    if (!digits || *p || bits < 1 || bits > 32) {
        snprintf(err, errlen, "ip=%s: prefix length must be 1-32", ip);
        return -1;
    }
    cfg->prefix = (uint8_t)bits;
    if (gw && net_parse_ipv4(gw, cfg->gw) < 0) {
        snprintf(err, errlen, "gw=%s: not a dotted-quad IPv4 address", gw);
        return -1;
    }
    cfg->has_gw = gw != NULL;
    return 0;
}
