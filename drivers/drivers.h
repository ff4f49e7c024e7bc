/* drivers/drivers.h: the drivers layer's public interface.
 *
 * serial: COM1 (0x3f8) 16550 UART, 115200 8N1, polled output. Writes wait
 * for the transmitter with a bounded spin, so a missing UART loses bytes
 * instead of hanging the kernel. Callable from any context.
 */
#ifndef DRIVERS_DRIVERS_H
#define DRIVERS_DRIVERS_H

#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);

#endif
