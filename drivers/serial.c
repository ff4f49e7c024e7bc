/* drivers/serial.c: the COM1 console (see drivers.h). Registers per the
 * 16550 datasheet; offsets from the base port, all 8-bit. */
#include "drivers/drivers.h"

#include "kernel/arch.h"
#include "kernel/intr.h"
#include "kernel/loop.h"

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
    outb(COM1 + UART_IER, 0x00);        /* output polled; input: serial_rx_start */
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

/* ---- input: console commands, one line at a time ----
 * The UART's receive interrupt (ISA IRQ 4, edge, on IOAPIC input 4 as
 * QEMU wires COM1) drains the FIFO into a ring; a loop poller cuts lines
 * and hands each to the callback. A line longer than LINE_MAX is dropped
 * whole; the ring drops bytes when the loop falls behind. */
#define UART_RBR 0
#define LSR_DR 0x01
#define RX_RING 256
#define LINE_MAX 64

static volatile uint8_t rx_ring[RX_RING];
static volatile unsigned rx_head, rx_tail;
static void (*on_line)(const char *line);
static char line[LINE_MAX + 1];
static unsigned line_len, line_long;

static void rx_irq(void *arg)
{
    (void)arg;
    for (unsigned n = 0; n < 64 && (inb(COM1 + UART_LSR) & LSR_DR); n++) {
        uint8_t c = inb(COM1 + UART_RBR);
        if (rx_head - rx_tail < RX_RING) {
            rx_ring[rx_head % RX_RING] = c;
            rx_head++;
        }
    }
    loop_wake();
}

static int rx_poll(void *arg)
{
    (void)arg;
    int work = 0;
    while (rx_tail != rx_head) {
        char c = (char)rx_ring[rx_tail % RX_RING];
        rx_tail++;
        work = 1;
        if (c == '\r' || c == '\n') {
            line[line_len] = 0;
            if (line_len && !line_long)
                on_line(line);
            line_len = 0;
            line_long = 0;
        } else if (line_len < LINE_MAX) {
            line[line_len++] = c;
        } else {
            line_long = 1;
        }
    }
    return work;
}

int serial_rx_start(void (*fn)(const char *line))
{
    uint8_t vec = intr_alloc(rx_irq, NULL);
    if (!vec || ioapic_route(4, vec, 0, 0) < 0)
        return -1;
    on_line = fn;
    while (inb(COM1 + UART_LSR) & LSR_DR)
        (void)inb(COM1 + UART_RBR);
    outb(COM1 + UART_MCR, 0x0b);        /* DTR, RTS, OUT2 (gates the IRQ on PCs) */
    outb(COM1 + UART_IER, 0x01);        /* received data available */
    return loop_add_poller(rx_poll, NULL);
}
