/* net/testsvc.h: what the two test services (testsvc.c on raw lwIP,
 * testsvc_tls.c on TLS streams) share: the test pattern of net.h's
 * "source N" mode. */
#ifndef NET_TESTSVC_H
#define NET_TESTSVC_H

#include <stdint.h>

#define PATTERN_LEN 65521
extern uint8_t testsvc_pattern[PATTERN_LEN];
void testsvc_pattern_init(void);

#endif
