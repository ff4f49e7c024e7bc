/* kernel/cmdline.h: the kernel command line as key[=value] words. Pure.
 *
 * Words are separated by spaces; a word without '=' is a flag with value "".
 * The parser copies the line into the caller's struct; lookups return
 * pointers into that copy. Unknown keys are the caller's business (QEMU
 * microvm appends its own, e.g. virtio_mmio.device=...). Host-tested.
 *
 * Keys the kernel reads (docs/architecture.md):
 *   log=error|warn|info|debug   console log level (default info)
 *   debugexit                   power off through isa-debug-exit (tests)
 *   test.poweroff[=MS]          power off cleanly MS ms after boot (tests)
 *   test.fault=KIND             raise a fault after boot (tests): pf, ud, de,
 *                               gp, panic
 *   ip=dhcp|A.B.C.D/N  gw=A.B.C.D   address configuration (default dhcp)
 *   test.tcpsvc=PORT            the test-only TCP service (net.h)
 *   test.disk=write:N|verify:N  the test-only disk exercise (blkdev.h)
 *   virtio_mmio.device=SIZE@BASE:IRQ[:ID]   a virtio-mmio device (QEMU
 *                               microvm with acpi=off appends one per
 *                               device; Firecracker's config names them)
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/klimits.h"

struct cmdline_arg { const char *key, *val; };
struct cmdline {
    char buf[CMDLINE_MAX];
    struct cmdline_arg args[CMDLINE_MAX_ARGS];
    size_t nargs;
};

/* 0 ok; -1 the line was longer than CMDLINE_MAX or had more than
 * CMDLINE_MAX_ARGS words (what fitted is kept). s may be NULL (empty). */
int cmdline_parse(struct cmdline *c, const char *s);
/* The value of the last occurrence of key ("" for a flag), or NULL. */
const char *cmdline_get(const struct cmdline *c, const char *key);
/* A virtio_mmio.device value, Linux's format: SIZE@BASE:IRQ[:ID], SIZE
 * with an optional K, M or G, numbers decimal or 0x hex (e.g.
 * 512@0xfeb00e00:12). 0, or -1 if it is not one (or the window is empty,
 * wraps, or the IRQ is not 1-255). */
int cmdline_virtio_mmio(const char *val, uint64_t *base, uint64_t *size, uint32_t *irq);

#endif
