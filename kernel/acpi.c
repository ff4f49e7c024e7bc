/* kernel/acpi.c: find and read the firmware's ACPI tables at boot (see
 * acpi.h). Tables are read in place through the identity map; every length
 * is checked against a sane bound before use. */
#include "kernel/acpi.h"

#include <string.h>
#include "kernel/log.h"

#define TABLE_MAX_LEN (4u << 20)        /* larger "tables" are corrupt */

static uint32_t rd32(uint64_t a) { uint32_t v; memcpy(&v, (const void *)(uintptr_t)a, 4); return v; }
static uint64_t rd64(uint64_t a) { uint64_t v; memcpy(&v, (const void *)(uintptr_t)a, 8); return v; }

static int rsdp_valid(uint64_t a)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)a;
    return memcmp(p, "RSD PTR ", 8) == 0 && acpi_checksum_ok(p, 20);
}

static uint64_t rsdp_scan(uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a + 36 <= end; a += 16)
        if (rsdp_valid(a))
            return a;
    return 0;
}

/* A table header at a, checked; returns its length or 0. */
static uint32_t table_ok(uint64_t a, const char *sig)
{
    if (a == 0 || a >= (4ULL << 30))
        return 0;
    uint32_t len = rd32(a + 4);
    if (len < 36 || len > TABLE_MAX_LEN)
        return 0;
    if (sig && memcmp((const void *)(uintptr_t)a, sig, 4) != 0)
        return 0;
    return acpi_checksum_ok((const uint8_t *)(uintptr_t)a, len) ? len : 0;
}

void acpi_init(uint64_t rsdp_hint, struct acpi_power *out)
{
    memset(out, 0, sizeof *out);
    /* The loader's hint: PVH's in low memory, Multiboot2's a copy in the
     * kernel's own data; anywhere the boot page tables map (4 GiB). */
    uint64_t rsdp = (rsdp_hint && rsdp_hint < (4ULL << 30) - 36 && rsdp_valid(rsdp_hint)) ? rsdp_hint : 0;
    if (!rsdp) {
        uint64_t ebda = (uint64_t)(*(volatile uint16_t *)(uintptr_t)0x40e) << 4;
        if (ebda >= 0x80000 && ebda < 0xa0000)
            rsdp = rsdp_scan(ebda, ebda + 1024);
        if (!rsdp)
            rsdp = rsdp_scan(0xe0000, 0x100000);
    }
    if (!rsdp) {
        log_warn("acpi", "no RSDP found: ACPI power-off unavailable");
        return;
    }
    const uint8_t *r = (const uint8_t *)(uintptr_t)rsdp;
    uint64_t root = 0;
    unsigned entsz = 4;
    if (r[15] >= 2 && rd64(rsdp + 24) && table_ok(rd64(rsdp + 24), "XSDT")) {
        root = rd64(rsdp + 24);
        entsz = 8;
    } else if (table_ok(rd32(rsdp + 16), "RSDT")) {
        root = rd32(rsdp + 16);
    }
    uint32_t rlen = root ? table_ok(root, NULL) : 0;
    if (!rlen) {
        log_warn("acpi", "RSDT/XSDT missing or bad checksum");
        return;
    }
    uint64_t fadt = 0;
    for (uint64_t e = root + 36; e + entsz <= root + rlen; e += entsz) {
        uint64_t t = entsz == 8 ? rd64(e) : rd32(e);
        uint32_t mlen;
        if (!fadt && table_ok(t, "FACP"))
            fadt = t;
        else if (!out->nioapic && (mlen = table_ok(t, "APIC")) != 0)
            out->nioapic = acpi_parse_madt((const uint8_t *)(uintptr_t)t, mlen, out->ioapic, ACPI_IOAPIC_MAX);
        else if (!out->ecam_base && (mlen = table_ok(t, "MCFG")) != 0 &&
                 acpi_parse_mcfg((const uint8_t *)(uintptr_t)t, mlen, &out->ecam_base,
                                 &out->ecam_bus_start, &out->ecam_bus_end) < 0)
            out->ecam_base = 0;
    }
    uint64_t dsdt = 0;
    uint32_t flen = fadt ? table_ok(fadt, "FACP") : 0;
    if (!flen || acpi_parse_fadt((const uint8_t *)(uintptr_t)fadt, flen, out, &dsdt) < 0) {
        log_warn("acpi", "no usable FADT");
        return;
    }
    uint32_t dlen = table_ok(dsdt, "DSDT");
    if (dlen && acpi_parse_s5((const uint8_t *)(uintptr_t)dsdt, dlen, &out->slp_typ_s5) == 0)
        out->s5_found = 1;
    if (dlen)
        out->nmmio = acpi_scan_virtio_mmio((const uint8_t *)(uintptr_t)dsdt, dlen, out->mmio, ACPI_MMIO_MAX);
    log_debug("acpi", "rsdp=%#llx fadt=%#llx pm1a_cnt=%#x hw_reduced=%d sleep_ctl=%#llx s5=%d/%u century=%u",
              (unsigned long long)rsdp, (unsigned long long)fadt, out->pm1a_cnt, out->hw_reduced,
              (unsigned long long)out->sleep_ctl.addr, out->s5_found, out->slp_typ_s5, out->century_reg);
}
