/* drivers/virtio_mmio.c: the virtio-mmio transport (virtio 1.2 4.2.2,
 * version 2), as QEMU microvm and Firecracker provide it: a 512-byte
 * register window per device and one edge-triggered IOAPIC line, both
 * named on the kernel command line (virtio_mmio.device=SIZE@BASE:IRQ).
 * Device initialisation is the common one (virtio_pci.c drives the
 * steps through these calls). */
#include "drivers/virtio_mmio.h"

#include <stdio.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/intr.h"
#include "kernel/log.h"
#include "kernel/loop.h"
#include "kernel/memory.h"

#define M_MAGIC 0x000           /* "virt" */
#define M_VERSION 0x004
#define M_DEVICE_ID 0x008
#define M_DEV_FEATURES 0x010
#define M_DEV_FEATURES_SEL 0x014
#define M_DRV_FEATURES 0x020
#define M_DRV_FEATURES_SEL 0x024
#define M_QUEUE_SEL 0x030
#define M_QUEUE_NUM_MAX 0x034
#define M_QUEUE_NUM 0x038
#define M_QUEUE_READY 0x044
#define M_QUEUE_NOTIFY 0x050
#define M_INT_STATUS 0x060
#define M_INT_ACK 0x064
#define M_STATUS 0x070
#define M_QUEUE_DESC 0x080      /* low, high at +4 */
#define M_QUEUE_DRIVER 0x090
#define M_QUEUE_DEVICE 0x0a0
#define M_CONFIG_GEN 0x0fc
#define M_CONFIG 0x100

#define MAGIC 0x74726976u
#define RESET_DEADLINE_NS 100000000ULL

static uint32_t r32(struct virtio_dev *v, uint32_t o) { return *(volatile uint32_t *)(v->mmio + o); }
static void w32(struct virtio_dev *v, uint32_t o, uint32_t x) { *(volatile uint32_t *)(v->mmio + o) = x; }

uint16_t virtio_mmio_type(uint64_t base, uint64_t size)
{
    if (size < M_CONFIG || memory_map_mmio(base, size) < 0)
        return 0;
    volatile uint32_t *r = (volatile uint32_t *)(uintptr_t)base;
    if (r[M_MAGIC / 4] != MAGIC)
        return 0;
    return (uint16_t)r[M_DEVICE_ID / 4];        /* 0: an empty slot */
}

int vmmio_probe(struct virtio_dev *v, const struct virtio_loc *loc)
{
    v->mmio = (volatile uint8_t *)(uintptr_t)loc->mmio_base;
    v->mmio_size = loc->mmio_size;
    v->mmio_irq = loc->mmio_irq;
    v->type = virtio_mmio_type(loc->mmio_base, loc->mmio_size);
    static const char *const names[] = { [1] = "virtio-net", [2] = "virtio-blk", [4] = "virtio-rng" };
    snprintf(v->namebuf, sizeof v->namebuf, "%s@mmio:%llx",
             v->type < 5 && names[v->type] ? names[v->type] : "virtio", (unsigned long long)loc->mmio_base);
    v->name = v->namebuf;
    if (!v->type)
        return -1;
    if (r32(v, M_VERSION) != 2) {
        log_warn("virtio", "%s: virtio-mmio version %u (legacy): not used; QEMU: -global "
                 "virtio-mmio.force-legacy=false", v->name, r32(v, M_VERSION));
        return -1;
    }
    v->devcfg_len = (uint32_t)(loc->mmio_size - M_CONFIG);
    return vmmio_reset(v);
}

int vmmio_reset(struct virtio_dev *v)
{
    w32(v, M_STATUS, 0);
    /* 4.2.2.1: the driver waits for status to read back 0. */
    uint64_t until = clock_monotonic_ns() + RESET_DEADLINE_NS;
    while (r32(v, M_STATUS) != 0) {
        if (clock_monotonic_ns() > until) {
            log_error("virtio", "%s: reset not done after 100 ms: device disabled", v->name);
            return -1;
        }
        cpu_pause();
    }
    return 0;
}

uint8_t vmmio_status(struct virtio_dev *v) { return (uint8_t)r32(v, M_STATUS); }
void vmmio_set_status(struct virtio_dev *v, uint8_t s) { w32(v, M_STATUS, s); }

uint64_t vmmio_features(struct virtio_dev *v)
{
    w32(v, M_DEV_FEATURES_SEL, 0);
    uint64_t f = r32(v, M_DEV_FEATURES);
    w32(v, M_DEV_FEATURES_SEL, 1);
    return f | (uint64_t)r32(v, M_DEV_FEATURES) << 32;
}

void vmmio_set_features(struct virtio_dev *v, uint64_t f)
{
    w32(v, M_DRV_FEATURES_SEL, 0);
    w32(v, M_DRV_FEATURES, (uint32_t)f);
    w32(v, M_DRV_FEATURES_SEL, 1);
    w32(v, M_DRV_FEATURES, (uint32_t)(f >> 32));
}

int vmmio_queue_setup(struct virtio_dev *v, uint16_t index, struct virtq *q, uint16_t max_size, void **cookies)
{
    if (index >= VIRTIO_MAX_QUEUES)
        return -1;
    w32(v, M_QUEUE_SEL, index);
    if (r32(v, M_QUEUE_READY))
        return -1;                              /* 4.2.3.2: must not be in use */
    uint32_t size = r32(v, M_QUEUE_NUM_MAX);
    if (size == 0)
        return -1;
    uint64_t ring[3];
    int n = virtio_rings(v, index, size, max_size, q, cookies, ring);
    if (n < 0)
        return -1;
    size = (uint32_t)n;
    w32(v, M_QUEUE_NUM, size);
    static const uint32_t reg[3] = { M_QUEUE_DESC, M_QUEUE_DRIVER, M_QUEUE_DEVICE };
    for (int i = 0; i < 3; i++) {
        w32(v, reg[i], (uint32_t)ring[i]);
        w32(v, reg[i] + 4, (uint32_t)(ring[i] >> 32));
    }
    w32(v, M_QUEUE_READY, 1);
    return (int)size;
}

/* One IOAPIC line per device (microvm gives each its own); the handler
 * acknowledges what the device reports (4.2.2: InterruptACK). */
static void mmio_irq(void *arg)
{
    struct virtio_dev *v = arg;
    uint32_t st = r32(v, M_INT_STATUS);
    if (st) {
        w32(v, M_INT_ACK, st);
        v->irqs++;
    }
    loop_wake();
}

int vmmio_irq_attach(struct virtio_dev *v)
{
    uint8_t vec = intr_alloc(mmio_irq, v);
    /* Level-triggered, active high: QEMU holds the line while
     * InterruptStatus is set (and its DSDT says so); the handler's ACK
     * drops it, and an event arriving meanwhile raises it again. */
    if (!vec || v->mmio_irq > 255 || ioapic_route((uint8_t)v->mmio_irq, vec, 1, 0) < 0) {
        if (vec)
            intr_free(vec);
        return -1;
    }
    v->vector = vec;
    return 0;
}

void vmmio_notify(struct virtio_dev *v, uint16_t index) { w32(v, M_QUEUE_NOTIFY, index); }

void vmmio_config_read(struct virtio_dev *v, uint32_t off, void *buf, uint32_t len)
{
    uint8_t *b = buf;
    for (int tries = 0; tries < 10; tries++) {
        uint32_t gen = r32(v, M_CONFIG_GEN);
        for (uint32_t i = 0; i < len; i++)
            b[i] = (uint64_t)off + i < v->devcfg_len ? *(volatile uint8_t *)(v->mmio + M_CONFIG + off + i) : 0;
        if (r32(v, M_CONFIG_GEN) == gen)
            return;
    }
}
