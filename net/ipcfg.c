/* net/ipcfg.c: the address configuration from the kernel command line,
 * for boots without a config blob (pure, host-tested):
 *   ip=dhcp (default)   or   ip=A.B.C.D/N [gw=A.B.C.D]
 * Addresses follow the config's rules (config_parse_ipv4/_cidr).
 */
#include "net/net.h"

#include "kernel/kernel.h"

#include <stdio.h>
#include <string.h>

int net_parse_config(const char *ip, const char *gw, struct config_network *cfg, char *err,
                     size_t errlen)
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
    const char *slash = strchr(ip, '/');
    if (!slash) {
        snprintf(err, errlen, "ip=%s: want ip=dhcp or ip=A.B.C.D/PREFIX (e.g. 192.0.2.10/24)", ip);
        return -1;
    }
    /* The address part alone first, so the message says which half is wrong. */
    char a[16];
    size_t alen = (size_t)(slash - ip);
    if (alen >= sizeof a || (memcpy(a, ip, alen), a[alen] = 0, config_parse_ipv4(a, cfg->addr) < 0)) {
        snprintf(err, errlen, "ip=%s: '%.*s' is not a dotted-quad IPv4 address", ip, (int)alen, ip);
        return -1;
    }
    if (config_parse_cidr(ip, cfg->addr, &cfg->prefix) < 0 || cfg->prefix < 1) {
        snprintf(err, errlen, "ip=%s: prefix length must be 1-32", ip);
        return -1;
    }
    if (gw && config_parse_ipv4(gw, cfg->gw) < 0) {
        snprintf(err, errlen, "gw=%s: not a dotted-quad IPv4 address", gw);
        return -1;
    }
    cfg->has_gw = gw != NULL;
    return 0;
}
