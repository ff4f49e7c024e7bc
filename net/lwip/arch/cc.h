/* net/lwip/arch/cc.h: lwIP's platform port (lwIP doc/sys_arch.txt).
 * picolibc provides the C types; SSIZE_MAX must be defined or lwip/arch.h
 * typedefs ssize_t again. Diagnostics go to the console log; an lwIP
 * assertion is an internal invariant, so it panics. */
#ifndef NET_LWIP_ARCH_CC_H
#define NET_LWIP_ARCH_CC_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

void net_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void net_lwip_assert(const char *msg, const char *file, int line);
uint32_t net_lwip_rand(void);

#define LWIP_PLATFORM_DIAG(x) do { net_lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_lwip_assert(x, __FILE__, __LINE__)
#define LWIP_RAND() ((u32_t)net_lwip_rand())

#endif
