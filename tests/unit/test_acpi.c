/* Unit tests of kernel/acpi_parse.c: checksums, \_S5 in AML, FADT fields. */
#include "kernel/acpi.h"
#include "tests/unit/check.h"

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* The MADT's I/O APICs (QEMU microvm with ACPI has two) and virtio-mmio
 * devices in AML shaped as QEMU's microvm DSDT writes them. */
static void test_madt_and_virtio_mmio(void)
{
    uint8_t m[44 + 8 + 12 + 12 + 6] = { 0 };
    memcpy(m, "APIC", 4);
    size_t o = 44;
    m[o] = 0, m[o + 1] = 8;                     /* a local APIC entry: skipped */
    o += 8;
    uint8_t io1[12] = { 1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0 };
    uint8_t io2[12] = { 1, 12, 1, 0, 0x00, 0x00, 0xc1, 0xfe, 24, 0, 0, 0 };
    memcpy(m + o, io1, 12), o += 12;
    memcpy(m + o, io2, 12), o += 12;
    m[o] = 2, m[o + 1] = 10;                    /* runs past the end: stop */
    struct acpi_ioapic io[4];
    CHECK_U64(acpi_parse_madt(m, sizeof m, io, 4), 2);
    CHECK_U64(io[0].addr, 0xfec00000);
    CHECK_U64(io[0].gsi_base, 0);
    CHECK_U64(io[1].addr, 0xfec10000);
    CHECK_U64(io[1].gsi_base, 24);
    CHECK_U64(acpi_parse_madt(m, sizeof m, io, 1), 1);

    /* Device (VR06) { Name (_HID, "LNRO0005") Name (_UID, 6) Name (_CCA, One)
     *   Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, 0xFEB02C00, 0x200)
     *   Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 46 } }) } */
    static const uint8_t dev[] = {
        0x5b, 0x82, 0x3a, 'V', 'R', '0', '6', 0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0',
        '5', 0, 0x08, '_', 'U', 'I', 'D', 0x0a, 6, 0x08, '_', 'C', 'C', 'A', 0x01, 0x08, '_', 'C', 'R', 'S',
        0x11, 0x1a, 0x0a, 0x17, 0x86, 0x09, 0x00, 0x01, 0x00, 0x2c, 0xb0, 0xfe, 0x00, 0x02, 0x00, 0x00,
        0x89, 0x06, 0x00, 0x09, 0x01, 46, 0, 0, 0, 0x79, 0x00,
    };
    uint8_t aml[2 * sizeof dev + 16] = { 0 };
    memcpy(aml + 8, dev, sizeof dev);
    memcpy(aml + 8 + sizeof dev, dev, sizeof dev);
    aml[8 + sizeof dev + 6] = '7';              /* VR07 */
    aml[8 + sizeof dev + 49] = 0x2e;            /* at 0xfeb02e00 */
    aml[8 + sizeof dev + 61] = 47;              /* interrupt 47 */
    struct acpi_mmio mm[8];
    CHECK_U64(acpi_scan_virtio_mmio(aml, sizeof aml, mm, 8), 2);
    CHECK_U64(mm[0].base, 0xfeb02c00);
    CHECK_U64(mm[0].size, 0x200);
    CHECK_U64(mm[0].irq, 46);
    CHECK_U64(mm[1].base, 0xfeb02e00);
    CHECK_U64(mm[1].irq, 47);
    CHECK_U64(acpi_scan_virtio_mmio(aml, sizeof aml, mm, 1), 1);
    /* Cut before its interrupt: not a device. */
    CHECK_U64(acpi_scan_virtio_mmio(aml, 8 + 58, mm, 8), 0);
    /* Another _HID: not ours. */
    aml[8 + 13] = 'X';
    CHECK_U64(acpi_scan_virtio_mmio(aml, 8 + sizeof dev, mm, 8), 0);
}

int main(void)
{
    test_madt_and_virtio_mmio();
    uint8_t t[8] = { 1, 2, 3, 4, 5, 6, 7, 0 };
    t[7] = (uint8_t)(0 - 28);
    CHECK(acpi_checksum_ok(t, 8));
    t[0] ^= 1;
    CHECK(!acpi_checksum_ok(t, 8));

    uint8_t typ = 0xee;
    /* Name(_S5, Package(4) { 5, 5, 0, 0 }) with BytePrefix. */
    const uint8_t s5a[] = { 0x10, 0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0, 0 };
    CHECK(acpi_parse_s5(s5a, sizeof s5a, &typ) == 0 && typ == 5);
    /* QEMU q35: Name(\_S5, Package(4) { Zero, Zero, Zero, Zero }). */
    const uint8_t s5b[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
    typ = 0xee;
    CHECK(acpi_parse_s5(s5b, sizeof s5b, &typ) == 0 && typ == 0);
    /* OneOp, and a two-byte PkgLength. */
    const uint8_t s5c[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x00, 0x02, 0x01, 0x01 };
    CHECK(acpi_parse_s5(s5c, sizeof s5c, &typ) == 0 && typ == 1);
    /* "_S5_" inside a method body (not after NameOp) is skipped; a later
     * real one is found. */
    const uint8_t s5d[] = { 0x70, '_', 'S', '5', '_', 0x12, 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x07, 0 };
    CHECK(acpi_parse_s5(s5d, sizeof s5d, &typ) == 0 && typ == 7);
    /* Missing, truncated, unexpected element type. */
    const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0 };
    CHECK(acpi_parse_s5(none, sizeof none, &typ) == -1);
    const uint8_t trunc[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06 };
    CHECK(acpi_parse_s5(trunc, sizeof trunc, &typ) == -1);
    const uint8_t trunc2[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a };
    CHECK(acpi_parse_s5(trunc2, sizeof trunc2, &typ) == -1);
    const uint8_t weird[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0e, 1, 2, 3, 4, 5, 6, 7, 8 };
    CHECK(acpi_parse_s5(weird, sizeof weird, &typ) == -1);
    CHECK(acpi_parse_s5(s5a, 0, &typ) == -1);

    /* FADT: a revision-6 table (276 bytes). */
    uint8_t f[276];
    memset(f, 0, sizeof f);
    memcpy(f, "FACP", 4);
    put32(f + 4, sizeof f);
    put32(f + 40, 0x7fe1000);            /* DSDT */
    put32(f + 64, 0x604);                /* PM1a_CNT_BLK */
    f[108] = 0x32;                       /* century */
    put32(f + 112, 1u << 20);            /* HW_REDUCED_ACPI */
    put64(f + 140, 0x7fe2000);           /* X_DSDT wins over DSDT */
    f[244] = 0; f[245] = 8; put64(f + 248, 0xfea00000);   /* sleep control, memory */
    /* The power button's fields, as QEMU q35 has them. */
    f[46] = 9; put32(f + 48, 0xb2); f[52] = 2; put32(f + 56, 0x600); f[88] = 4;
    struct acpi_power p;
    memset(&p, 0, sizeof p);
    uint64_t dsdt = 0;
    CHECK(acpi_parse_fadt(f, sizeof f, &p, &dsdt) == 0);
    CHECK_U64(dsdt, 0x7fe2000);
    CHECK_U64(p.pm1a_cnt, 0x604);
    CHECK_U64(p.century_reg, 0x32);
    CHECK(p.hw_reduced == 1 && p.found == 1);
    CHECK_U64(p.sleep_ctl.addr, 0xfea00000);
    CHECK_U64(p.sleep_ctl.space, 0);
    CHECK_U64(p.sci_int, 9);
    CHECK_U64(p.smi_cmd, 0xb2);
    CHECK_U64(p.acpi_enable, 2);
    CHECK_U64(p.pm1a_evt, 0x600);
    CHECK_U64(p.pm1_evt_len, 4);
    /* An old, short FADT (ACPI 1.0, 116 bytes): no X_ fields read. */
    memset(&p, 0, sizeof p);
    put32(f + 4, 116);
    CHECK(acpi_parse_fadt(f, 116, &p, &dsdt) == 0);
    CHECK_U64(dsdt, 0x7fe1000);
    CHECK_U64(p.sleep_ctl.addr, 0);
    /* PM1a only in the X_ block (I/O space). */
    memset(&p, 0, sizeof p);
    put32(f + 4, sizeof f);
    put32(f + 64, 0);
    f[172] = 1; f[173] = 16; put64(f + 176, 0xb004);
    CHECK(acpi_parse_fadt(f, sizeof f, &p, &dsdt) == 0);
    CHECK_U64(p.pm1a_cnt, 0xb004);
    /* The table's own length is not trusted beyond the buffer, and a table
     * shorter than its required fields is refused. */
    put32(f + 4, 100000);
    memset(&p, 0, sizeof p);
    CHECK(acpi_parse_fadt(f, 120, &p, &dsdt) == 0);
    CHECK_U64(p.sleep_ctl.addr, 0);
    put32(f + 4, 40);
    CHECK(acpi_parse_fadt(f, sizeof f, &p, &dsdt) == -1);
    CHECK(acpi_parse_fadt(f, 50, &p, &dsdt) == -1);

    /* MCFG: skip a segment-1 entry, take segment 0; short tables refused. */
    uint8_t m[76];
    memset(m, 0, sizeof m);
    memcpy(m, "MCFG", 4);
    put32(m + 4, sizeof m);
    put64(m + 44, 0xc0000000); m[52] = 1; m[54] = 0; m[55] = 0x3f;     /* segment 1 */
    put64(m + 60, 0xb0000000); m[68] = 0; m[70] = 0; m[71] = 0xff;     /* segment 0 */
    uint64_t base = 0;
    uint8_t b0 = 9, b1 = 9;
    CHECK(acpi_parse_mcfg(m, sizeof m, &base, &b0, &b1) == 0);
    CHECK_U64(base, 0xb0000000);
    CHECK(b0 == 0 && b1 == 0xff);
    CHECK(acpi_parse_mcfg(m, 59, &base, &b0, &b1) == -1);            /* entry cut */
    put32(m + 4, 60);                                                   /* length says 1 entry */
    CHECK(acpi_parse_mcfg(m, sizeof m, &base, &b0, &b1) == -1);
    CHECK(acpi_parse_mcfg(m, 40, &base, &b0, &b1) == -1);
    return check_done("test_acpi");
}
