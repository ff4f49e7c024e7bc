/* kernel/libc_glue.c: what picolibc needs from the system: stdin, stdout
 * and stderr (tinystdio streams on the console log sink) and _exit. sbrk
 * lives in mem.c. */
#include <stdio.h>
#include <stdlib.h>
#include "kernel/log.h"
#include "kernel/power.h"

static int console_put(char c, FILE *f)
{
    (void)f;
    log_raw(&c, 1);
    return (unsigned char)c;
}

static FILE console_stream = FDEV_SETUP_STREAM(console_put, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &console_stream;
FILE *const stdout = &console_stream;
FILE *const stderr = &console_stream;

_Noreturn void _exit(int status);
_Noreturn void _exit(int status)
{
    power_off(status == 0 ? POWER_EXIT_OK : POWER_EXIT_PANIC);
}
