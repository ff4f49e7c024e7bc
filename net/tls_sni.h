/* net/tls_sni.h: which configured certificate answers a server name
 * (SNI, RFC 6066 3). Pure: host unit tests drive it.
 *
 * tls_sni_pick(t, sni): the index into t->cert of the certificate for sni:
 * a host block naming it exactly (case-insensitive) first, then one whose
 * "*.rest" wildcard covers it (one label only, as RFC 6125 6.4.3 matches
 * certificates: *.example.com covers a.example.com, not example.com or
 * a.b.example.com), else 0, the default certificate (also for no SNI).
 */
#ifndef NET_TLS_SNI_H
#define NET_TLS_SNI_H

#include "kernel/kernel.h"

unsigned tls_sni_pick(const struct config_tls *t, const char *sni);

#endif
