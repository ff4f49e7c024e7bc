/* drivers/virtio_pci.c: virtio 1.x modern PCI transport (see virtio.h),
 * and the device initialisation both transports share (virtio 1.2
 * 3.1.1): a virtio-mmio device (v->mmio) takes the same steps through
 * drivers/virtio_mmio.c's register accessors.
 * Register offsets: virtio 1.2 4.1.4.3 (common configuration structure). */
#include "drivers/virtio.h"
#include "drivers/virtio_mmio.h"

#include <stdio.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/intr.h"
#include "kernel/log.h"
#include "kernel/loop.h"
#include "kernel/memory.h"

/* Common configuration, byte offsets and widths. */
#define CC_DFSELECT 0x00    /* le32 device_feature_select */
#define CC_DF 0x04          /* le32 device_feature */
#define CC_GFSELECT 0x08    /* le32 driver_feature_select */
#define CC_GF 0x0c          /* le32 driver_feature */
#define CC_MSIX_CONFIG 0x10 /* le16 config_msix_vector */
#define CC_NUMQ 0x12        /* le16 num_queues */
#define CC_STATUS 0x14      /* u8 device_status */
#define CC_CFGGEN 0x15      /* u8 config_generation */
#define CC_Q_SELECT 0x16    /* le16 */
#define CC_Q_SIZE 0x18      /* le16 */
#define CC_Q_MSIX 0x1a      /* le16 */
#define CC_Q_ENABLE 0x1c    /* le16 */
#define CC_Q_NOFF 0x1e      /* le16 queue_notify_off */
#define CC_Q_DESC 0x20      /* le64 */
#define CC_Q_DRIVER 0x28    /* le64 */
#define CC_Q_DEVICE 0x30    /* le64 */

/* Device status bits (2.1). */
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_FAILED 128

/* virtio_pci_cap cfg_type (4.1.4). */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

#define RESET_DEADLINE_NS 100000000ULL   /* 100 ms */
#define NO_VECTOR 0xffff

static void w8(volatile uint8_t *b, uint32_t o, uint8_t v) { *(volatile uint8_t *)(b + o) = v; }
static void w16(volatile uint8_t *b, uint32_t o, uint16_t v) { *(volatile uint16_t *)(b + o) = v; }
static void w32(volatile uint8_t *b, uint32_t o, uint32_t v) { *(volatile uint32_t *)(b + o) = v; }
static uint8_t r8(volatile uint8_t *b, uint32_t o) { return *(volatile uint8_t *)(b + o); }
static uint16_t r16(volatile uint8_t *b, uint32_t o) { return *(volatile uint16_t *)(b + o); }
static uint32_t r32(volatile uint8_t *b, uint32_t o) { return *(volatile uint32_t *)(b + o); }
static void w64(volatile uint8_t *b, uint32_t o, uint64_t v)
{
    /* 4.1.3.1: 64-bit fields may be written as two 32-bit halves, low first. */
    w32(b, o, (uint32_t)v);
    w32(b, o + 4, (uint32_t)(v >> 32));
}

uint16_t virtio_pci_type(const struct pci_dev *p)
{
    if (p->vendor != VIRTIO_VENDOR)
        return 0;
    if (p->device >= 0x1040 && p->device <= 0x107f)
        return (uint16_t)(p->device - 0x1040);
    if (p->device >= 0x1000 && p->device <= 0x103f)     /* transitional: 4.1.2.1 */
        return p->subsys_device;
    return 0;
}

int virtio_reset(struct virtio_dev *v)
{
    if (v->mmio)
        return vmmio_reset(v);
    w8(v->common, CC_STATUS, 0);
    /* 4.1.4.3.2: reset completes when device_status reads back 0. */
    uint64_t until = clock_monotonic_ns() + RESET_DEADLINE_NS;
    while (r8(v->common, CC_STATUS) != 0) {
        if (clock_monotonic_ns() > until) {
            log_error("virtio", "%s: reset not done after 100 ms: device disabled", v->name);
            return -1;
        }
        cpu_pause();
    }
    return 0;
}

static int pci_probe(struct virtio_dev *v, const struct pci_dev *p);

int virtio_probe(struct virtio_dev *v, const struct virtio_loc *loc)
{
    memset(v, 0, sizeof *v);
    if (!loc->pci)
        return vmmio_probe(v, loc);
    return pci_probe(v, loc->pci);
}

static int pci_probe(struct virtio_dev *v, const struct pci_dev *p)
{
    v->pci = p;
    v->type = virtio_pci_type(p);
    static const char *const names[] = { [1] = "virtio-net", [2] = "virtio-blk", [4] = "virtio-rng" };
    snprintf(v->namebuf, sizeof v->namebuf, "%s@%02x:%02x.%u",
             v->type < 5 && names[v->type] ? names[v->type] : "virtio", p->bus, p->dev, p->fn);
    v->name = v->namebuf;
    for (uint8_t c = pci_find_cap(p, PCI_CAP_VENDOR, 0); c; c = pci_find_cap(p, PCI_CAP_VENDOR, c)) {
        uint8_t type = pci_read8(p, c + 3), bar = pci_read8(p, c + 4);
        uint32_t off = pci_read32(p, c + 8), len = pci_read32(p, c + 12);
        if (bar > 5 || p->bar[bar].io || !p->bar[bar].addr || (uint64_t)off + len > p->bar[bar].size)
            continue;
        if (memory_map_mmio(p->bar[bar].addr, p->bar[bar].size) < 0)
            continue;
        volatile uint8_t *base = (volatile uint8_t *)(uintptr_t)(p->bar[bar].addr + off);
        if (type == CAP_COMMON && !v->common && len >= 0x38) {
            v->common = base;
        } else if (type == CAP_NOTIFY && !v->notify && len >= 2) {
            v->notify = base;
            v->notify_len = len;
            v->notify_mult = pci_read32(p, c + 16);
        } else if (type == CAP_ISR && !v->isr && len >= 1) {
            v->isr = base;
        } else if (type == CAP_DEVICE && !v->devcfg) {
            v->devcfg = base;
            v->devcfg_len = len;
        }
    }
    if (!v->common || !v->notify || !v->isr) {
        log_warn("virtio", "%s: no modern virtio capabilities (legacy-only device): not used", v->name);
        return -1;
    }
    pci_enable(p, 0);
    return virtio_reset(v);
}

static void set_status(struct virtio_dev *v, uint8_t s)
{
    if (v->mmio)
        vmmio_set_status(v, s);
    else
        w8(v->common, CC_STATUS, s);
}

static uint8_t status(struct virtio_dev *v) { return v->mmio ? vmmio_status(v) : r8(v->common, CC_STATUS); }

uint64_t virtio_offered(struct virtio_dev *v)
{
    if (!v->offered) {
        set_status(v, ST_ACK);
        set_status(v, ST_ACK | ST_DRIVER);
        if (v->mmio) {
            v->offered = vmmio_features(v);
        } else {
            w32(v->common, CC_DFSELECT, 0);
            uint64_t dev = r32(v->common, CC_DF);
            w32(v->common, CC_DFSELECT, 1);
            v->offered = dev | (uint64_t)r32(v->common, CC_DF) << 32;
        }
    }
    return v->offered;
}

static void virtio_irq(void *arg)
{
    struct virtio_dev *v = arg;
    v->irqs++;
    loop_wake();
}

/* MSI-X for the whole device if it has it and takes vector 0 for config
 * changes; queues are checked as they are set up. */
static void irq_choose(struct virtio_dev *v)
{
    v->msix = false;
    if (!pci_find_cap(v->pci, PCI_CAP_MSIX, 0))
        return;
    uint8_t vec = intr_alloc(virtio_irq, v);
    if (!vec)
        return;
    if (pci_msix_enable(v->pci, &vec, 1) == 1) {
        w16(v->common, CC_MSIX_CONFIG, 0);
        if (r16(v->common, CC_MSIX_CONFIG) == 0) {
            v->msix = true;
            v->vector = vec;
            return;
        }
        pci_msix_disable(v->pci);
    }
    intr_free(vec);
}

/* The device refused a queue vector: back to INTx for everything. */
static void msix_abandon(struct virtio_dev *v)
{
    w16(v->common, CC_MSIX_CONFIG, NO_VECTOR);
    pci_msix_disable(v->pci);
    intr_free(v->vector);
    v->vector = 0;
    v->msix = false;
}

int virtio_negotiate(struct virtio_dev *v, uint64_t wanted, uint64_t required)
{
    required |= VIRTIO_F_VERSION_1;
    uint64_t dev = virtio_offered(v);
    if ((dev & required) != required) {
        log_error("virtio", "%s: device lacks required features %#llx (offers %#llx)", v->name,
                  (unsigned long long)(required & ~dev), (unsigned long long)dev);
        virtio_fail(v);
        return -1;
    }
    v->features = dev & (wanted | required);
    if (v->mmio) {
        vmmio_set_features(v, v->features);
    } else {
        w32(v->common, CC_GFSELECT, 0);
        w32(v->common, CC_GF, (uint32_t)v->features);
        w32(v->common, CC_GFSELECT, 1);
        w32(v->common, CC_GF, (uint32_t)(v->features >> 32));
    }
    set_status(v, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
    if (!(status(v) & ST_FEATURES_OK)) {
        log_error("virtio", "%s: device refused features %#llx", v->name, (unsigned long long)v->features);
        virtio_fail(v);
        return -1;
    }
    if (!v->mmio)
        irq_choose(v);
    return 0;
}

int virtio_rings(struct virtio_dev *v, uint16_t index, uint32_t device_max, uint16_t max_size, struct virtq *q,
                 void **cookies, uint64_t ring[3])
{
    uint32_t size = device_max < max_size ? device_max : max_size;
    /* Round down to a power of two: our ring arithmetic masks indexes. */
    while (size & (size - 1))
        size &= size - 1;
    size_t ds, as, us;
    virtq_area_sizes((uint16_t)size, &ds, &as, &us);
    ring[0] = memory_alloc_pages((ds + 4095) / 4096, 1);
    ring[1] = memory_alloc_pages((as + 4095) / 4096, 1);
    ring[2] = memory_alloc_pages((us + 4095) / 4096, 1);
    if (!ring[0] || !ring[1] || !ring[2]) {
        log_error("virtio", "%s: no memory for queue %u (%u entries)", v->name, index, size);
        return -1;
    }
    virtq_init(q, (uint16_t)size, (void *)(uintptr_t)ring[0], (void *)(uintptr_t)ring[1],
               (void *)(uintptr_t)ring[2], cookies);
    return (int)size;
}

int virtio_queue_setup(struct virtio_dev *v, uint16_t index, struct virtq *q,
                       uint16_t max_size, void **cookies)
{
    if (v->mmio)
        return vmmio_queue_setup(v, index, q, max_size, cookies);
    if (index >= r16(v->common, CC_NUMQ) || index >= VIRTIO_MAX_QUEUES)
        return -1;
    w16(v->common, CC_Q_SELECT, index);
    uint16_t size = r16(v->common, CC_Q_SIZE);
    if (size == 0)
        return -1;
    uint64_t ring[3];
    int n = virtio_rings(v, index, size, max_size, q, cookies, ring);
    if (n < 0)
        return -1;
    size = (uint16_t)n;
    w16(v->common, CC_Q_SIZE, size);
    w64(v->common, CC_Q_DESC, ring[0]);
    w64(v->common, CC_Q_DRIVER, ring[1]);
    w64(v->common, CC_Q_DEVICE, ring[2]);
    v->qnoff[index] = r16(v->common, CC_Q_NOFF);
    if ((uint64_t)v->qnoff[index] * v->notify_mult + 2 > v->notify_len) {
        log_error("virtio", "%s: queue %u notify offset %u x %u lies outside the notify area (%u bytes)",
                  v->name, index, v->qnoff[index], v->notify_mult, v->notify_len);
        return -1;
    }
    if (v->msix) {
        /* 4.1.5.1.3: the vector is set before the queue is enabled. */
        w16(v->common, CC_Q_MSIX, 0);
        if (r16(v->common, CC_Q_MSIX) != 0) {
            log_warn("virtio", "%s: device refused an MSI-X vector for queue %u: using INTx", v->name, index);
            msix_abandon(v);
            for (uint16_t i = 0; i < index && i < VIRTIO_MAX_QUEUES; i++) {
                w16(v->common, CC_Q_SELECT, i);
                w16(v->common, CC_Q_MSIX, NO_VECTOR);
            }
            w16(v->common, CC_Q_SELECT, index);
        }
    }
    w16(v->common, CC_Q_ENABLE, 1);
    return size;
}

/* Legacy INTx lines: devices on one line share one vector, and the
 * handler reads every device's ISR (reading acknowledges, 4.1.4.5), so a
 * shared level-triggered line is always deasserted. */
#define INTX_LINES 8
#define INTX_DEVS 8
static struct intx_line {
    uint8_t line, vector;
    unsigned n;
    struct virtio_dev *devs[INTX_DEVS];
} intx[INTX_LINES];

static void intx_irq(void *arg)
{
    struct intx_line *l = arg;
    for (unsigned i = 0; i < l->n; i++) {
        if (r8(l->devs[i]->isr, 0))
            l->devs[i]->irqs++;
    }
    loop_wake();
}

static int intx_attach(struct virtio_dev *v)
{
    uint8_t line = v->pci->irq_line;
    if (v->pci->irq_pin == 0 || line == 0 || line == 0xff)
        return -1;
    struct intx_line *l = NULL;
    for (unsigned i = 0; i < INTX_LINES && !l; i++)
        if (intx[i].vector && intx[i].line == line)
            l = &intx[i];
    if (!l) {
        for (unsigned i = 0; i < INTX_LINES && !l; i++)
            if (!intx[i].vector)
                l = &intx[i];
        if (!l)
            return -1;
        uint8_t vec = intr_alloc(intx_irq, l);
        if (!vec || ioapic_route(line, vec, 1, 0) < 0)
            return -1;
        l->line = line;
        l->vector = vec;
    }
    if (l->n == INTX_DEVS)
        return -1;
    l->devs[l->n++] = v;
    v->vector = l->vector;
    return 0;
}

int virtio_start(struct virtio_dev *v)
{
    if (v->mmio) {
        if (vmmio_irq_attach(v) < 0) {
            log_error("virtio", "%s: IRQ %u cannot be routed", v->name, v->mmio_irq);
            virtio_fail(v);
            return -1;
        }
        set_status(v, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
        log_info("virtio", "%s: ready, features %#llx, interrupts via IOAPIC line %u (vector %#x)", v->name,
                 (unsigned long long)v->features, v->mmio_irq, v->vector);
        return 0;
    }
    if (v->msix) {
        pci_enable(v->pci, 1);
    } else {
        if (intx_attach(v) < 0) {
            log_error("virtio", "%s: neither MSI-X nor a routable INTx line", v->name);
            virtio_fail(v);
            return -1;
        }
        pci_enable(v->pci, 0);
    }
    w8(v->common, CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    log_info("virtio", "%s: ready, features %#llx, interrupts via %s (vector %#x)", v->name,
             (unsigned long long)v->features, v->msix ? "MSI-X" : "INTx/IOAPIC", v->vector);
    return 0;
}

void virtio_notify(struct virtio_dev *v, uint16_t index)
{
    if (v->mmio) {
        vmmio_notify(v, index);
        return;
    }
    w16(v->notify, (uint32_t)v->qnoff[index] * v->notify_mult, index);
}

void virtio_kick(struct virtio_dev *v, uint16_t index, struct virtq *q)
{
    if (virtq_publish(q))
        virtio_notify(v, index);
}

void virtio_fail(struct virtio_dev *v)
{
    set_status(v, status(v) | ST_FAILED);
}

void virtio_config_read(struct virtio_dev *v, uint32_t off, void *buf, uint32_t len)
{
    if (v->mmio) {
        vmmio_config_read(v, off, buf, len);
        return;
    }
    uint8_t *b = buf;
    for (int tries = 0; tries < 10; tries++) {
        uint8_t gen = r8(v->common, CC_CFGGEN);
        for (uint32_t i = 0; i < len; i++)
            b[i] = v->devcfg && (uint64_t)off + i < v->devcfg_len ? r8(v->devcfg, off + i) : 0;
        if (r8(v->common, CC_CFGGEN) == gen)
            return;
    }
}
