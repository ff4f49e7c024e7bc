/* drivers/virtio_mmio.h: inside drivers/ only: the virtio-mmio transport's
 * half of the functions virtio.h declares (virtio_pci.c hands a device
 * whose v->mmio is set to these). virtio 1.2 section 4.2, version 2
 * ("modern") register layout only; version 1 (legacy) devices are
 * refused, as legacy PCI ones are. */
#ifndef DRIVERS_VIRTIO_MMIO_H
#define DRIVERS_VIRTIO_MMIO_H

#include "drivers/virtio.h"

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
