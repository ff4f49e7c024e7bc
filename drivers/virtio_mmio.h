/* drivers/virtio_mmio.h: inside drivers/ only: what the two transports
 * share: the virtio-mmio transport's half of the functions virtio.h
 * declares (virtio_pci.c hands a device whose v->mmio is set to these),
 * and the ring allocation both use. virtio 1.2 section 4.2, version 2
 * ("modern") register layout only; version 1 (legacy) devices are
 * refused, as legacy PCI ones are. */
#ifndef DRIVERS_VIRTIO_MMIO_H
#define DRIVERS_VIRTIO_MMIO_H

#include "drivers/virtio.h"

/* Both transports (defined in virtio_pci.c): the three ring areas of
 * queue index, min(device_max, max_size) rounded down to a power of two
 * entries, allocated and q set up on them; their addresses in ring
 * (descriptors, driver, device). The size, or -1 (logged). */
int virtio_rings(struct virtio_dev *v, uint16_t index, uint32_t device_max, uint16_t max_size, struct virtq *q,
                 void **cookies, uint64_t ring[3]);

int vmmio_probe(struct virtio_dev *v, const struct virtio_loc *loc);
int vmmio_reset(struct virtio_dev *v);
uint8_t vmmio_status(struct virtio_dev *v);
void vmmio_set_status(struct virtio_dev *v, uint8_t s);
uint64_t vmmio_features(struct virtio_dev *v);
void vmmio_set_features(struct virtio_dev *v, uint64_t f);
int vmmio_queue_setup(struct virtio_dev *v, uint16_t index, struct virtq *q, uint16_t max_size, void **cookies);
int vmmio_irq_attach(struct virtio_dev *v);
void vmmio_notify(struct virtio_dev *v, uint16_t index);
void vmmio_config_read(struct virtio_dev *v, uint32_t off, void *buf, uint32_t len);

#endif
