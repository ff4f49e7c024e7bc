/* drivers/pci.c: see pci.h. Register offsets are the type 0/1 header of
 * PCI Local Bus 3.0 6.1 (widths as named). */
#include "drivers/pci.h"

#include "kernel/arch.h"
#include "kernel/intr.h"
#include "kernel/log.h"
#include "kernel/memory.h"

#define CFG_VENDOR 0x00     /* 16 */
#define CFG_DEVICE 0x02     /* 16 */
#define CFG_COMMAND 0x04    /* 16 */
#define CFG_STATUS 0x06     /* 16 */
#define CFG_CLASS 0x08      /* 32: rev, prog-if, subclass, class */
#define CFG_HEADER 0x0e     /* 8 */
#define CFG_BAR0 0x10       /* 32 x 6 */
#define CFG_SECONDARY 0x19  /* 8, type 1 */
#define CFG_SUBSYS 0x2c     /* 32: vendor, device */
#define CFG_CAPS 0x34       /* 8 */
#define CFG_IRQ_LINE 0x3c   /* 8 */
#define CFG_IRQ_PIN 0x3d    /* 8 */
#define CMD_IO 0x1
#define CMD_MEM 0x2
#define CMD_MASTER 0x4
#define CMD_INTX_OFF 0x400
#define STATUS_CAPS 0x10

static uint64_t ecam;
static uint8_t ecam_lo, ecam_hi;

void pci_init(uint64_t ecam_base, uint8_t bus_start, uint8_t bus_end)
{
    ecam = ecam_base;
    ecam_lo = bus_start;
    ecam_hi = bus_end;
    if (ecam && memory_map_mmio(ecam, ((uint64_t)bus_end + 1) << 20) < 0)
        ecam = 0;
    log_info("pci", "configuration space via %s", ecam ? "ECAM (ACPI MCFG)" : "ports 0xcf8/0xcfc");
}

static volatile void *ecam_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    if (!ecam || bus < ecam_lo || bus > ecam_hi)
        return NULL;
    return (volatile void *)(uintptr_t)(ecam + ((uint64_t)bus << 20) + ((uint64_t)dev << 15) +
                                         ((uint64_t)fn << 12) + off);
}

static uint32_t cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    volatile void *a = ecam_addr(bus, dev, fn, off & ~3u);
    if (a)
        return *(volatile uint32_t *)a;
    if (off >= 256)
        return 0xffffffffu;
    outl(0xcf8, 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (off & 0xfc));
    return inl(0xcfc);
}

static void cfg_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
    volatile void *a = ecam_addr(bus, dev, fn, off & ~3u);
    if (a) {
        *(volatile uint32_t *)a = v;
        return;
    }
    if (off >= 256)
        return;
    outl(0xcf8, 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (off & 0xfc));
    outl(0xcfc, v);
}

uint32_t pci_read32(const struct pci_dev *d, uint16_t off) { return cfg_read32(d->bus, d->dev, d->fn, off); }
uint16_t pci_read16(const struct pci_dev *d, uint16_t off) { return (uint16_t)(pci_read32(d, off & ~3u) >> (8 * (off & 2))); }
uint8_t pci_read8(const struct pci_dev *d, uint16_t off) { return (uint8_t)(pci_read32(d, off & ~3u) >> (8 * (off & 3))); }
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v) { cfg_write32(d->bus, d->dev, d->fn, off, v); }

void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
    /* Read-modify-write of the dword (the port mechanism is dword-wide).
     * The status register beside the command register has write-1-to-clear
     * error bits: write zeros there so pending errors are not wiped. */
    uint32_t old = (off & ~3u) == CFG_COMMAND ? 0 : pci_read32(d, off & ~3u);
    unsigned sh = 8 * (off & 2);
    pci_write32(d, off & ~3u, (old & ~(0xffffu << sh)) | ((uint32_t)v << sh));
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
    if (!(pci_read16(d, CFG_STATUS) & STATUS_CAPS))
        return 0;
    uint8_t p = after ? pci_read8(d, after + 1) : pci_read8(d, CFG_CAPS);
    for (int guard = 0; p >= 0x40 && guard < 48; guard++) {
        p &= 0xfc;
        if (pci_read8(d, p) == id)
            return p;
        p = pci_read8(d, p + 1);
    }
    return 0;
}

static void read_bars(struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, CFG_COMMAND);
    /* Sizing writes all-ones to a BAR: turn decoding off meanwhile so the
     * device does not answer at a bogus address. */
    pci_write16(d, CFG_COMMAND, cmd & ~(CMD_IO | CMD_MEM));
    for (int i = 0; i < 6; i++) {
        uint16_t off = CFG_BAR0 + 4 * i;
        uint32_t lo = pci_read32(d, off);
        pci_write32(d, off, 0xffffffffu);
        uint32_t szlo = pci_read32(d, off);
        pci_write32(d, off, lo);
        struct pci_bar *b = &d->bar[i];
        if (szlo == 0 || szlo == 0xffffffffu)
            continue;
        if (lo & 1) {
            b->io = 1;
            b->addr = lo & ~3u;
            b->size = (~(szlo & ~3u) + 1) & 0xffff;
            continue;
        }
        uint64_t addr = lo & ~0xfu, mask = szlo & ~0xfu;
        if (((lo >> 1) & 3) == 2 && i < 5) {
            uint32_t hi = pci_read32(d, off + 4);
            pci_write32(d, off + 4, 0xffffffffu);
            uint32_t szhi = pci_read32(d, off + 4);
            pci_write32(d, off + 4, hi);
            addr |= (uint64_t)hi << 32;
            mask |= (uint64_t)szhi << 32;
            b->is64 = 1;
        } else {
            mask |= 0xffffffff00000000ULL;
        }
        b->addr = addr;
        b->size = ~mask + 1;
        if (b->is64)
            i++;
    }
    pci_write16(d, CFG_COMMAND, cmd);
}

static int scan_bus(uint8_t bus, struct pci_dev *out, int n, int cap, int depth)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        uint8_t nfn = 1;
        for (uint8_t fn = 0; fn < nfn; fn++) {
            uint32_t id = cfg_read32(bus, dev, fn, CFG_VENDOR);
            if ((id & 0xffff) == 0xffff)
                continue;
            uint8_t hdr = (uint8_t)(cfg_read32(bus, dev, fn, CFG_HEADER & ~3u) >> 16);
            if (fn == 0 && (hdr & 0x80))
                nfn = 8;
            uint32_t cls = cfg_read32(bus, dev, fn, CFG_CLASS);
            if ((hdr & 0x7f) == 1 && depth < 8) {
                uint8_t sec = (uint8_t)(cfg_read32(bus, dev, fn, 0x18) >> 8);
                if (sec > bus)
                    n = scan_bus(sec, out, n, cap, depth + 1);
                continue;
            }
            if (n >= cap) {
                log_warn("pci", "more than %d functions: %02x:%02x.%u ignored", cap, bus, dev, fn);
                continue;
            }
            struct pci_dev *d = &out[n++];
            *d = (struct pci_dev){ .bus = bus, .dev = dev, .fn = fn };
            d->vendor = (uint16_t)id;
            d->device = (uint16_t)(id >> 16);
            d->class_code = (uint8_t)(cls >> 24);
            d->subclass = (uint8_t)(cls >> 16);
            d->prog_if = (uint8_t)(cls >> 8);
            uint32_t ss = pci_read32(d, CFG_SUBSYS);
            d->subsys_vendor = (uint16_t)ss;
            d->subsys_device = (uint16_t)(ss >> 16);
            d->irq_line = pci_read8(d, CFG_IRQ_LINE);
            d->irq_pin = pci_read8(d, CFG_IRQ_PIN);
            if ((hdr & 0x7f) == 0)
                read_bars(d);
            log_debug("pci", "%02x:%02x.%u %04x:%04x class %02x.%02x irq %u pin %u", bus, dev, fn,
                      d->vendor, d->device, d->class_code, d->subclass, d->irq_line, d->irq_pin);
        }
    }
    return n;
}

int pci_enumerate(struct pci_dev *out, int cap)
{
    return scan_bus(0, out, 0, cap, 0);
}

void pci_enable(const struct pci_dev *d, int intx_off)
{
    uint16_t cmd = pci_read16(d, CFG_COMMAND) | CMD_MEM | CMD_IO | CMD_MASTER;
    cmd = intx_off ? (cmd | CMD_INTX_OFF) : (cmd & ~CMD_INTX_OFF);
    pci_write16(d, CFG_COMMAND, cmd);
}

int pci_msix_enable(const struct pci_dev *d, const uint8_t *vectors, int n)
{
    uint8_t c = pci_find_cap(d, PCI_CAP_MSIX, 0);
    if (!c)
        return -1;
    uint16_t ctrl = pci_read16(d, c + 2);
    int size = (ctrl & 0x7ff) + 1;
    if (n > size)
        return -1;
    uint32_t tab = pci_read32(d, c + 4);
    const struct pci_bar *bar = &d->bar[tab & 7];
    if (bar->io || !bar->addr || memory_map_mmio(bar->addr, bar->size) < 0)
        return -1;
    volatile uint32_t *t = (volatile uint32_t *)(uintptr_t)(bar->addr + (tab & ~7u));
    /* PCI 3.0 6.8.2: enable with the function masked, program, unmask. */
    pci_write16(d, c + 2, ctrl | 0x8000 | 0x4000);
    for (int i = 0; i < n; i++) {
        t[4 * i + 0] = 0xfee00000u | (uint32_t)intr_cpu_apic_id() << 12;
        t[4 * i + 1] = 0;
        t[4 * i + 2] = vectors[i];     /* fixed delivery, edge */
        t[4 * i + 3] = 0;              /* unmasked */
    }
    pci_write16(d, c + 2, (ctrl | 0x8000) & ~0x4000);
    return n;
}

void pci_msix_disable(const struct pci_dev *d)
{
    uint8_t c = pci_find_cap(d, PCI_CAP_MSIX, 0);
    if (c)
        pci_write16(d, c + 2, pci_read16(d, c + 2) & ~0xc000);
}
