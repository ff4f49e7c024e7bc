/* kernel/acpi.h: the few ACPI facts the kernel needs: how to power off
 * (FADT PM1a control block or, on hardware-reduced ACPI such as QEMU
 * microvm, the sleep control register, with SLP_TYP from the DSDT's \_S5
 * package), and the RTC century register. ACPI 6.4 sections 5.2.5 (RSDP),
 * 5.2.9 (FADT), 7.4.2 (\_S5), 4.8.3.7 (sleep control register).
 *
 * The acpi_parse_* functions are pure and host-tested; they decode bytes
 * with bounds checks and never trust a table's own length beyond its
 * buffer. acpi_init reads firmware memory (identity mapped) at boot.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Generic Address Structure: space 0 = memory, 1 = I/O port. */
struct acpi_gas { uint8_t space, bit_width; uint64_t addr; };

#define ACPI_MMIO_MAX 8
#define ACPI_IOAPIC_MAX 4
struct acpi_power {
    int found;                  /* a FADT was found and parsed */
    int hw_reduced;             /* FADT flag HW_REDUCED_ACPI (bit 20) */
    uint32_t pm1a_cnt;          /* I/O port, 0 if none */
    /* The power button (ACPI 6.4 4.8.3.1, fixed-feature PWRBTN): the PM1a
     * event block (status, then enable, each pm1_evt_len/2 bytes), the
     * SCI's interrupt, and how to switch the chipset to ACPI mode. */
    uint32_t pm1a_evt;          /* I/O port, 0 if none */
    uint8_t pm1_evt_len;
    uint16_t sci_int;
    uint32_t smi_cmd;           /* I/O port, 0: already in ACPI mode */
    uint8_t acpi_enable;
    struct acpi_gas sleep_ctl;  /* hardware-reduced sleep control, addr 0 if none */
    int s5_found;
    uint8_t slp_typ_s5;
    uint8_t century_reg;        /* CMOS index of the century, 0 if none */
    /* PCI Express ECAM from the MCFG table (PCI Firmware spec 3.2 4.1.2),
     * segment 0 only; ecam_base 0 when absent (e.g. -M pc). */
    uint64_t ecam_base;
    uint8_t ecam_bus_start, ecam_bus_end;
    /* virtio-mmio devices the DSDT declares (_HID "LNRO0005", as QEMU
     * microvm with ACPI does): window and interrupt each. */
    struct acpi_mmio { uint64_t base, size; uint32_t irq; } mmio[ACPI_MMIO_MAX];
    unsigned nmmio;
    /* I/O APICs from the MADT (ACPI 6.4 5.2.12.3): address and first
     * GSI; none when there is no MADT (then the one at 0xfec00000). */
    struct acpi_ioapic { uint32_t addr, gsi_base; } ioapic[ACPI_IOAPIC_MAX];
    unsigned nioapic;
};

/* Pure: sum of bytes is 0 mod 256. */
int acpi_checksum_ok(const uint8_t *p, size_t n);
/* Pure: find \_S5_ in AML (DSDT or SSDT bytes) and return SLP_TYPa; 0 ok,
 * -1 not found or malformed. */
int acpi_parse_s5(const uint8_t *aml, size_t n, uint8_t *slp_typ);
/* Pure: fill out from FADT bytes (n = bytes available). 0 ok, -1 too short. */
int acpi_parse_fadt(const uint8_t *fadt, size_t n, struct acpi_power *out, uint64_t *dsdt_addr);

/* Pure: the segment-0 entry of an MCFG table (n bytes); 0 ok, -1 none. */
int acpi_parse_mcfg(const uint8_t *mcfg, size_t n, uint64_t *base, uint8_t *bus_start,
                    uint8_t *bus_end);

/* Pure: the I/O APIC entries of a MADT (n bytes): how many (at most max). */
unsigned acpi_parse_madt(const uint8_t *madt, size_t n, struct acpi_ioapic *out, unsigned max);
/* Pure: virtio-mmio devices in AML (DSDT bytes): each _HID "LNRO0005"
 * string with the Memory32Fixed and Extended Interrupt descriptors of the
 * _CRS that follows it (within 128 bytes), as QEMU's microvm writes them.
 * Not an AML interpreter: a scan for that shape. Returns how many (at
 * most max) into out. */
unsigned acpi_scan_virtio_mmio(const uint8_t *aml, size_t n, struct acpi_mmio *out, unsigned max);

/* Kernel: locate RSDP (hint from the boot loader, else the BIOS areas),
 * walk RSDT/XSDT, parse FADT and DSDT. Never fails: out->found says. */
void acpi_init(uint64_t rsdp_hint, struct acpi_power *out);

#endif
