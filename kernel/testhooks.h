/* kernel/testhooks.h: deliberate faults for the whole-image tests, reached
 * only through test.fault=KIND on the command line (cmdline.h). */
#ifndef KERNEL_TESTHOOKS_H
#define KERNEL_TESTHOOKS_H

/* pf: page fault (unmapped address); gp: general protection
 * (non-canonical address); ud: invalid opcode; de: divide by zero;
 * panic: panic(). An unknown kind is logged and ignored. */
void testhooks_fault(const char *kind);

#endif
