/* drivers/virtio.h: the virtio 1.x transports: modern PCI (virtio_pci.c)
 * and virtio-mmio version 2 (virtio_mmio.c, for QEMU microvm and
 * Firecracker). A device is found as a struct virtio_loc (a PCI function,
 * or an MMIO window and its IOAPIC line from the command line); the
 * calls below are the same for both, so drivers do not know which.
 *
 * Choice: modern only (virtio 1.2 4.1.4, capabilities in PCI config space,
 * VIRTIO_F_VERSION_1 required). Legacy I/O-port devices are refused, so one
 * code path serves -device virtio-*-pci with or without
 * disable-legacy=on (transitional devices expose the modern capabilities
 * too). Device initialisation follows 3.1.1 step by step, with
 * FEATURES_OK read back (3.1.1 step 6). Every wait on the device (reset)
 * has a deadline; a device that misses it is logged and marked FAILED.
 *
 * Interrupts: MSI-X with one vector for the whole device (config changes
 * and all queues), chosen right after FEATURES_OK so each queue's vector is
 * set before the queue is enabled (4.1.5.1.3). If the device has no MSI-X
 * or refuses the vector, MSI-X is switched off again and legacy INTx is
 * routed through the IOAPIC; devices sharing a line share one vector and
 * the handler reads every one's ISR register, which acknowledges it
 * (4.1.4.5). Handlers only call loop_wake(); drivers poll their queues.
 * Offsets the device gives (notify offset, config reads) are checked
 * against its capability lengths.
 *
 * Context: event loop, except the interrupt handler.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include "drivers/pci.h"
#include "drivers/virtq.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_F_VERSION_1 (1ULL << 32)
#define VIRTIO_MAX_QUEUES 4

/* Where a device is: a PCI function, or (pci NULL) an MMIO window. */
struct virtio_loc {
    const struct pci_dev *pci;
    uint64_t mmio_base, mmio_size;
    uint32_t mmio_irq;
};

struct virtio_dev {
    const struct pci_dev *pci;
    volatile uint8_t *mmio;             /* virtio-mmio: the register window */
    uint64_t mmio_size;
    uint32_t mmio_irq;
    const char *name;                   /* "virtio-net@00:03.0" style */
    char namebuf[32];
    uint16_t type;                      /* VIRTIO_ID_* */
    volatile uint8_t *common, *isr, *devcfg, *notify;
    uint32_t notify_mult, notify_len, devcfg_len;  /* lengths from the capabilities */
    uint64_t offered;                   /* the device's feature bits */
    uint64_t features;                  /* negotiated */
    uint16_t qnoff[VIRTIO_MAX_QUEUES]; /* queue_notify_off, read at set-up */
    bool msix;
    uint8_t vector;
    uint64_t irqs;
};

/* The virtio device type of a PCI function, 0 if it is not virtio. */
uint16_t virtio_pci_type(const struct pci_dev *p);
/* The virtio device type of an MMIO window (mapped here), 0 if there is
 * none (no "virt" magic, or an empty slot). */
uint16_t virtio_mmio_type(uint64_t base, uint64_t size);
/* PCI: find the capabilities, map the BARs; MMIO: check the window. Then
 * reset. 0 or -1 (logged). */
int virtio_probe(struct virtio_dev *v, const struct virtio_loc *loc);
/* Steps 2-3 of 3.1.1 (acknowledge, driver) and the device's feature bits;
 * the driver may read device configuration now to choose (step 4). */
uint64_t virtio_offered(struct virtio_dev *v);
/* Steps 4-6: accept wanted & offered (VERSION_1 always), FEATURES_OK read
 * back, then choose MSI-X or INTx. required bits missing -> -1 (logged). */
int virtio_negotiate(struct virtio_dev *v, uint64_t wanted, uint64_t required);
/* Reset the device (status 0, read back within the deadline): it stops
 * using every buffer it was given. 0, or -1 if it did not reset. */
int virtio_reset(struct virtio_dev *v);
/* Allocate ring memory (pages), program queue index with at most max_size
 * entries and enable it. cookies must hold the chosen size (<= max_size).
 * Returns the size, or -1. */
int virtio_queue_setup(struct virtio_dev *v, uint16_t index, struct virtq *q,
                       uint16_t max_size, void **cookies);
/* INTx routing when MSI-X is not in use, then DRIVER_OK. */
int virtio_start(struct virtio_dev *v);
void virtio_notify(struct virtio_dev *v, uint16_t index);
void virtio_fail(struct virtio_dev *v);
/* Device-specific configuration, read consistently (config_generation). */
void virtio_config_read(struct virtio_dev *v, uint32_t off, void *buf, uint32_t len);
/* Publish q and notify the device when it asked for it. */
void virtio_kick(struct virtio_dev *v, uint16_t index, struct virtq *q);

#endif
