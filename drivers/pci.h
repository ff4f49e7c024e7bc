/* drivers/pci.h: PCI enumeration, configuration space, BARs and MSI-X.
 *
 * Configuration space through ECAM when ACPI's MCFG gave it (q35; PCI
 * Express Base 4.0 7.2.2), else the legacy 0xcf8/0xcfc mechanism (PCI Local
 * Bus 3.0 3.2.2.3.2; -M pc). Enumeration walks bus 0 and every bus behind
 * a PCI-to-PCI bridge, up to PCI_MAX_DEVICES functions. BARs are decoded as
 * the firmware assigned them (SeaBIOS/qboot), sized by the all-ones probe
 * with decoding off. Event-loop context only.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdint.h>

#define PCI_MAX_DEVICES 64
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09

struct pci_bar { uint64_t addr, size; int io, is64; };

struct pci_dev {
    uint8_t bus, dev, fn;
    uint16_t vendor, device, subsys_vendor, subsys_device;
    uint8_t class_code, subclass, prog_if, irq_line, irq_pin;
    struct pci_bar bar[6];
};

/* ecam_base 0: legacy ports only. */
void pci_init(uint64_t ecam_base, uint8_t bus_start, uint8_t bus_end);
/* Fills out (at most cap) and returns how many functions were found. */
int pci_enumerate(struct pci_dev *out, int cap);

uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
/* First capability with id at or after offset after (0 = from the list
 * head); returns its offset or 0. The walk is bounded against loops. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);
/* Memory space + bus mastering on; INTx disabled when intx_off. */
void pci_enable(const struct pci_dev *d, int intx_off);
/* Program MSI-X table entries 0..n-1 to vectors[i] on this CPU and enable
 * MSI-X. Returns n, or -1 without an MSI-X capability or with fewer than n
 * table entries. */
int pci_msix_enable(const struct pci_dev *d, const uint8_t *vectors, int n);
/* Turn MSI-X off again (INTx is allowed once it is off). */
void pci_msix_disable(const struct pci_dev *d);

#endif
