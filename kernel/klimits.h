/* kernel/klimits.h: every fixed limit of the system, in one place.
 *
 * Values that users may want to change become config directives in later
 * issues; until then they are compile-time constants documented here and
 * in docs/architecture.md. Pure modules include this file too.
 */
#ifndef KERNEL_KLIMITS_H
#define KERNEL_KLIMITS_H

/* One console log line, including the timestamp prefix and newline. */
#define LOG_LINE_MAX 512
/* Kernel command line bytes kept (longer ones are rejected with a message). */
#define CMDLINE_MAX 1024
/* Command-line options recognised at once. */
#define CMDLINE_MAX_ARGS 32
/* Entries of the firmware memory map we read; extra ones are ignored and
 * logged (QEMU gives fewer than 10). */
#define E820_MAX_ENTRIES 64
/* Usable RAM regions after clipping. */
#define MEM_MAX_REGIONS 64
/* RAM we map and manage: 512 GiB (one page-directory-pointer table). */
#define MEM_MAX_PHYS (512ULL << 30)
/* RAM kept out of the malloc heap for the page pool (virtqueues, DMA
 * buffers): 1/8 of usable RAM, at least 4 MiB. */
#define MEM_PAGE_POOL_DIV 8
#define MEM_PAGE_POOL_MIN (4ULL << 20)
/* Pending timers at once. */
#define TIMER_MAX 256
/* Event-loop pollers (one per device or layer). */
#define LOOP_MAX_POLLERS 16
/* Longest the idle loop sleeps without a timer (it wakes on interrupts). */
#define LOOP_MAX_IDLE_NS 1000000000ULL
/* Clock calibration window against the PIT, and how many windows. */
#define CLOCK_CALIB_MS 10
#define CLOCK_CALIB_ROUNDS 3
/* Backtrace frames printed by an exception dump. */
#define BACKTRACE_MAX 16

/* A stream closed by the app while its client still sends: the FIN goes
 * out, what arrives is read and dropped until the client's FIN or this
 * long, then the close (nginx's lingering close). Closing at once would
 * make the stack answer that data with an RST, which can destroy the
 * response in flight (a 413 while the body still uploads). */
#define STREAM_LINGER_MS 5000
/* Receive buffers a stream may hold queued before they are copied into
 * one heap buffer: each pool buffer is 1.5 KiB however little it holds,
 * and the pool is shared by every connection. */
#define STREAM_RXQ_PBUFS 8

/* A sql route's JSON answer, at most (a list's rows are also capped by
 * its page max). Past it the request answers 500 and the log says why. */
#define SQL_RESPONSE_MAX (16 << 20)

#endif
