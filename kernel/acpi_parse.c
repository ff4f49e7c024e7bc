/* kernel/acpi_parse.c: pure decoding of ACPI bytes (see acpi.h). */
#include "kernel/acpi.h"

#include <string.h>

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

int acpi_checksum_ok(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s == 0;
}

/* One AML data object that may stand for SLP_TYPa: ZeroOp, OneOp,
 * BytePrefix n, WordPrefix n (ACPI 6.4 20.2.3). */
static int aml_small_int(const uint8_t *p, size_t n, uint8_t *v)
{
    if (n < 1)
        return -1;
    switch (p[0]) {
    case 0x00: *v = 0; return 0;
    case 0x01: *v = 1; return 0;
    case 0x0a: if (n < 2) return -1; *v = p[1]; return 0;
    case 0x0b: if (n < 3) return -1; *v = p[1]; return 0;
    default: return -1;
    }
}

int acpi_parse_s5(const uint8_t *aml, size_t n, uint8_t *slp_typ)
{
    /* NameOp(0x08) [ '\' ] "_S5_" PackageOp(0x12) PkgLength NumElements elem... */
    for (size_t i = 0; i + 4 <= n; i++) {
        if (memcmp(aml + i, "_S5_", 4) != 0)
            continue;
        int named = (i >= 1 && aml[i - 1] == 0x08) ||
                    (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08);
        size_t j = i + 4;
        if (!named || j >= n || aml[j] != 0x12)
            continue;
        j++;
        if (j >= n)
            return -1;
        size_t follow = aml[j] >> 6;    /* PkgLength: bits 7:6 = extra bytes */
        j += 1 + follow;
        if (j + 1 >= n)
            return -1;
        j++;                            /* NumElements */
        return aml_small_int(aml + j, n - j, slp_typ);
    }
    return -1;
}

static void gas_decode(const uint8_t *p, struct acpi_gas *g)
{
    g->space = p[0];
    g->bit_width = p[1];
    g->addr = le64(p + 4);
}

int acpi_parse_fadt(const uint8_t *f, size_t n, struct acpi_power *out, uint64_t *dsdt_addr)
{
    /* Offsets from ACPI 6.4 Table 5.9. */
    if (n < 116)
        return -1;
    uint32_t len = le32(f + 4);
    if (len < n)
        n = len;
    if (n < 116)
        return -1;
    *dsdt_addr = le32(f + 40);
    out->sci_int = (uint16_t)(f[46] | f[47] << 8);
    out->smi_cmd = le32(f + 48);
    out->acpi_enable = f[52];
    out->pm1a_evt = le32(f + 56);
    out->pm1a_cnt = le32(f + 64);
    out->pm1_evt_len = f[88];
    out->century_reg = f[108];
    uint32_t flags = le32(f + 112);
    out->hw_reduced = (flags >> 20) & 1;
    if (n >= 148 && le64(f + 140))
        *dsdt_addr = le64(f + 140);
    if (n >= 184 && !out->pm1a_cnt) {
        struct acpi_gas g;
        gas_decode(f + 172, &g);
        if (g.space == 1 && g.addr <= 0xffff)
            out->pm1a_cnt = (uint32_t)g.addr;
    }
    if (n >= 256)
        gas_decode(f + 244, &out->sleep_ctl);
    out->found = 1;
    return 0;
}

int acpi_parse_mcfg(const uint8_t *m, size_t n, uint64_t *base, uint8_t *bus_start,
                    uint8_t *bus_end)
{
    /* 36-byte header, 8 reserved bytes, then 16-byte allocation entries:
     * base (8), segment (2), start bus (1), end bus (1), reserved (4). */
    if (n < 44)
        return -1;
    uint32_t len = le32(m + 4);
    if (len < n)
        n = len;
    for (size_t off = 44; off + 16 <= n; off += 16) {
        uint16_t seg = (uint16_t)(m[off + 8] | m[off + 9] << 8);
        uint64_t b = le64(m + off);
        if (seg != 0 || b == 0 || m[off + 11] < m[off + 10])
            continue;
        *base = b;
        *bus_start = m[off + 10];
        *bus_end = m[off + 11];
        return 0;
    }
    return -1;
}

unsigned acpi_scan_virtio_mmio(const uint8_t *aml, size_t n, struct acpi_mmio *out, unsigned max)
{
    /* ACPI 6.4: a String is 0x0D, its bytes, NUL (20.2.3); Memory32Fixed
     * is 0x86 0x09 0x00, info, base, length (6.4.3.4); the Extended
     * Interrupt descriptor 0x89, length, flags, count, then 32-bit
     * interrupts (6.4.3.6). */
    static const uint8_t hid[] = { 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0 };
    unsigned found = 0;
    for (size_t i = 0; i + sizeof hid <= n && found < max; i++) {
        if (memcmp(aml + i, hid, sizeof hid) != 0)
            continue;
        size_t end = i + sizeof hid + 128 < n ? i + sizeof hid + 128 : n;
        uint64_t base = 0, size = 0;
        uint32_t irq = 0;
        int have_mem = 0, have_irq = 0;
        for (size_t k = i + sizeof hid; k + 12 <= end && !(have_mem && have_irq); k++) {
            if (!have_mem && aml[k] == 0x86 && aml[k + 1] == 0x09 && aml[k + 2] == 0x00) {
                base = le32(aml + k + 4);
                size = le32(aml + k + 8);
                have_mem = 1;
                k += 11;
            } else if (have_mem && aml[k] == 0x89 && k + 9 <= end && aml[k + 3 + 1] >= 1) {
                irq = le32(aml + k + 5);
                have_irq = 1;
            }
        }
        if (have_mem && have_irq && size && irq && irq < 256)
            out[found++] = (struct acpi_mmio){ base, size, irq };
        i += sizeof hid - 1;
    }
    return found;
}

unsigned acpi_parse_madt(const uint8_t *m, size_t n, struct acpi_ioapic *out, unsigned max)
{
    /* Header (36) + local APIC address (4) + flags (4), then entries:
     * type, length, ...; type 1 (I/O APIC): id, reserved, address, GSI base. */
    unsigned found = 0;
    for (size_t off = 44; off + 2 <= n && found < max;) {
        uint8_t type = m[off], len = m[off + 1];
        if (len < 2 || off + len > n)
            break;
        if (type == 1 && len >= 12)
            out[found++] = (struct acpi_ioapic){ le32(m + off + 4), le32(m + off + 8) };
        off += len;
    }
    return found;
}
