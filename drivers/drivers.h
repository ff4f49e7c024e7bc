/* drivers/drivers.h: the drivers layer's public interface.
 *
 * serial: COM1 (0x3f8) 16550 UART, 115200 8N1, polled output, input by
 * interrupt (console commands). Writes wait
 * for the transmitter with a bounded spin, so a missing UART loses bytes
 * instead of hanging the kernel. Callable from any context.
 *
 * pci.h, virtio.h, virtq.h, netdev.h and blkdev.h hold the bus, transport,
 * ring, network-device and block-device contracts.
 */
#ifndef DRIVERS_DRIVERS_H
#define DRIVERS_DRIVERS_H

#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);
/* Console input: fn gets each line typed on COM1 (without its end, at
 * most 64 bytes), from the event loop. 0 or -1. */
int serial_rx_start(void (*fn)(const char *line));

/* virtio devices found at boot, on PCI or virtio-mmio (kernel/main.c
 * wires them up; drivers/virtio.h struct virtio_loc says where). */
struct virtio_loc;
struct netdev;
/* virtio-net: a ready netdev, or NULL (logged). */
struct netdev *virtio_net_attach(const struct virtio_loc *p);
struct blkdev;
/* virtio-blk: a ready blkdev, or NULL (logged). */
struct blkdev *virtio_blk_attach(const struct virtio_loc *p);
/* virtio-rng: feeds the kernel CSPRNG. 0 or -1. */
int virtio_rng_attach(const struct virtio_loc *p);

#endif
