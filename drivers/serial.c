/* drivers/serial.c: the COM1 console (see drivers.h). Registers per the
 * 16550 datasheet; offsets from the base port, all 8-bit. */
#include "drivers/drivers.h"

#include "kernel/arch.h"

#define COM1 0x3f8
#define UART_THR 0      /* transmit holding (DLAB=0) / divisor low (DLAB=1) */
#define UART_IER 1      /* interrupt enable / divisor high */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20
#define SPIN_MAX 100000 /* ~10 ms at 115200 baud on real hardware */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);        /* polled: no UART interrupts */
    outb(COM1 + UART_LCR, 0x80);        /* DLAB on */
    outb(COM1 + UART_THR, 0x01);        /* divisor 1: 115200 baud */
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x03);        /* 8N1, DLAB off */
    outb(COM1 + UART_FCR, 0xc7);        /* FIFOs on and cleared */
    outb(COM1 + UART_MCR, 0x03);        /* DTR, RTS */
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (unsigned spin = 0; spin < SPIN_MAX; spin++)
            if (inb(COM1 + UART_LSR) & LSR_THRE)
                break;
        outb(COM1 + UART_THR, (uint8_t)s[i]);
    }
}
