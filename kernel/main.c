/* kernel/main.c: kmain, the init order, and the only place (with the event
 * loop) that wires the layers together (docs/architecture.md).
 *
 * Init order, and why:
 *   1. serial console + log sink   everything after can report
 *   2. PVH start info checked      the only input from the loader
 *   3. command line                log level and test switches apply early
 *   4. IDT                         faults from here on are dumped
 *   5. memory map -> pages, heap   malloc works after this
 *   6. ACPI (FADT, \_S5)           power-off works after this
 *   7. LAPIC, PIC masked, clocks   timestamps and deadlines after this
 *   8. CSPRNG                      needs nothing above; everything may use it
 *   8b. config blob (PVH module)   validated before any device is started;
 *                                  an invalid blob stops here (exit code 3)
 *   9. banner, self-tests          the four libraries run for real
 *  10. PCI, virtio devices         after clocks (device deadlines) and heap
 *  11. network                     address by DHCP or static (command line)
 *  12. test hooks (test mode)      deliberate faults, test service, power-off
 *  13. event loop                  never returns
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/app.h"
#include "drivers/blkdev.h"
#include "drivers/drivers.h"
#include "drivers/pci.h"
#include "drivers/virtio.h"
#include "kernel/acpi.h"
#include "kernel/arch.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/config.h"
#include "kernel/csprng.h"
#include "kernel/intr.h"
#include "kernel/klimits.h"
#include "kernel/lapic.h"
#include "kernel/log.h"
#include "kernel/loop.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/multiboot2.h"
#include "kernel/pvh.h"
#include "store/layout.h"
#include "kernel/testhooks.h"
#include "net/net.h"
#include "store/store.h"

#define APPLIANCE_VERSION "0.1.0"

static struct cmdline cmdline;

static void read_cmdline(const struct hvm_start_info *si)
{
    const char *s = si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : NULL;
    if (cmdline_parse(&cmdline, s) < 0)
        log_warn("boot", "command line longer than %d bytes or %d words: the rest is ignored",
                 CMDLINE_MAX, CMDLINE_MAX_ARGS);
    const char *lv = cmdline_get(&cmdline, "log");
    enum log_level lvl;
    if (lv && log_level_parse(lv, &lvl) == 0)
        log_set_level(lvl);
    else if (lv)
        log_warn("boot", "log=%s: unknown level (use error, warn, info or debug); keeping info", lv);
    log_debug("boot", "command line: %.400s", s ? s : "");
}

static size_t read_memmap(const struct hvm_start_info *si, struct e820_entry *out)
{
    if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
        return 0;
    size_t n = si->memmap_entries;
    if (n > E820_MAX_ENTRIES) {
        log_warn("mem", "memory map has %zu entries; reading the first %d", n, E820_MAX_ENTRIES);
        n = E820_MAX_ENTRIES;
    }
    const struct hvm_memmap_table_entry *m = (const void *)(uintptr_t)si->memmap_paddr;
    for (size_t i = 0; i < n; i++) {
        out[i].addr = m[i].addr;
        out[i].size = m[i].size;
        out[i].type = m[i].type;
        log_debug("mem", "e820 %#016llx-%#016llx type %u", (unsigned long long)m[i].addr,
                  (unsigned long long)(m[i].addr + m[i].size), m[i].type);
    }
    return n;
}

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

static struct config config;
extern const uint8_t default_blob_start[], default_blob_end[];

/* The blob from the loader (QEMU -initrd), or the built-in default
 * (defaults/, packed at build time): validated in full before any device
 * listens. Errors read exactly as `apctl check` prints them. The command
 * line's log= still overrides the config's level (debugging). */
static void load_config(const uint8_t *blob, size_t len)
{
    int builtin = !blob;
    if (builtin) {
        blob = default_blob_start;
        len = (size_t)(default_blob_end - default_blob_start);
    }
    uint64_t t0 = clock_monotonic_ns();
    struct conf_doc *doc = malloc(sizeof *doc);
    char *text = malloc(CONFIG_SHOW_MAX), err[512];
    if (!doc || !text)
        panic("config: no memory to parse the blob");
    int rc = config_load_blob(&config, doc, blob, len, err, sizeof err);
    free(doc);
    if (rc < 0 && builtin)
        panic("config: the built-in default config is invalid: %s", err);
    if (rc < 0) {
        log_error("config", "%s", err);
        log_error("config", "invalid config blob: not starting (check it with: apctl check appliance.conf)");
        power_off(POWER_EXIT_CONFIG);
    }
    double ms = (double)(clock_monotonic_ns() - t0) / 1e6;
    if (builtin)
        log_info("config", "no config blob: the built-in default (%zu bytes, validated in %.1fms; DHCP, "
                 "a welcome page, a development certificate not for production)", len, ms);
    else
        log_info("config", "loaded %s from the blob (%zu bytes, validated in %.1fms)", CONFIG_FILE, len, ms);
    /* Show what was loaded before its log level applies, so a quiet
     * config still says what it is. */
    config_show(&config, text, CONFIG_SHOW_MAX);
    log_lines(LOG_INFO, "config", "| ", text);
    config_warnings(&config, text, CONFIG_SHOW_MAX);
    log_lines(LOG_WARN, "config", "", text);
    free(text);
    if (!cmdline_get(&cmdline, "log"))
        log_set_level(config.log.level);
    /* https-port=N: port 80's redirects name the port a development port
     * forward uses (make run), whatever the config says. */
    const char *hp = cmdline_get(&cmdline, "https-port");
    if (hp && config.tls.enabled) {
        char *end;
        unsigned long port = strtoul(hp, &end, 10);
        if (*end || port == 0 || port > 65535) {
            log_warn("config", "https-port=%s: not a port 1-65535; ignored", hp);
        } else {
            config.tls.https_port = (uint16_t)port;
            log_info("config", "https-port=%lu from the command line: port 80 redirects there", port);
        }
    }
}

static uint16_t testsvc_port[4];
static unsigned ntestsvc;

/* test.tcpsvc=PORT[,PORT...] (plain, at most 4) and test.tlssvc=PORT (over
 * TLS, with the config's certificates): the test services exist only for
 * tests and are useless behind the firewall, so their ports get an
 * allow-all rule (the console says so), unless the config's own rules
 * name them (the firewall tests decide themselves). */
static uint16_t tlssvc_port;

static void test_allow(uint16_t port, const char *what)
{
    struct config_firewall *fw = &config.firewall;
    for (unsigned j = 0; j < fw->nin; j++)
        if (fw->in[j].proto == CONFIG_PROTO_TCP && fw->in[j].port_lo <= port && fw->in[j].port_hi >= port)
            return;
    if (fw->nin == CONFIG_FW_RULES_MAX)
        return;
    struct config_fw_rule *r = &fw->in[fw->nin++];
    memset(r, 0, sizeof *r);
    r->proto = CONFIG_PROTO_TCP;
    r->port_lo = r->port_hi = port;
    r->icmp_type = r->icmp_code = CONFIG_ICMP_ANY;
    r->desc = what;
    log_warn("test", "%s: inbound tcp %u from any added to the firewall", what, port);
}

static void test_tcpsvc_ports(void)
{
    const char *svc = cmdline_get(&cmdline, "test.tcpsvc");
    for (const char *p = svc; p && *p && ntestsvc < 4;) {
        char *end;
        unsigned long port = strtoul(p, &end, 10);
        if ((*end && *end != ',') || end == p || port == 0 || port > 65535) {
            log_error("test", "test.tcpsvc=%s: want ports 1-65535, separated by commas", svc);
            ntestsvc = 0;
            return;
        }
        testsvc_port[ntestsvc++] = (uint16_t)port;
        p = *end ? end + 1 : end;
    }
    for (unsigned i = 0; i < ntestsvc; i++)
        test_allow(testsvc_port[i], "test.tcpsvc");
    const char *tls = cmdline_get(&cmdline, "test.tlssvc");
    if (tls) {
        char *end;
        unsigned long port = strtoul(tls, &end, 10);
        if (*end || port == 0 || port > 65535)
            log_error("test", "test.tlssvc=%s: want a port 1-65535", tls);
        else if (!config.tls.enabled)
            log_error("test", "test.tlssvc needs a config with a tls section");
        else
            test_allow(tlssvc_port = (uint16_t)port, "test.tlssvc");
    }
}

/* Shutdown on the ACPI power button (QEMU system_powerdown, a cloud
 * "stop"): stop accepting, let open requests finish (at most limits.
 * drain-timeout),
 * checkpoint and close the database, power off. */
static uint64_t drain_deadline;

static void drain_tick(void *arg)
{
    (void)arg;                                  /* wakes the loop: drain_poll looks again */
    if (drain_deadline)
        loop_timer_add(clock_monotonic_ns() + 100000000ull, drain_tick, NULL);
}

static int drain_poll(void *arg)
{
    (void)arg;
    if (!drain_deadline) {
        if (!power_button_pressed())
            return 0;
        drain_deadline = clock_monotonic_ns() + (uint64_t)config.limits.drain_timeout_ms * 1000000u;
        log_info("power", "power button: draining (new connections refused, readiness false; "
                 "%u open, %.1f s at most)", app_open(), config.limits.drain_timeout_ms / 1000.0);
        app_drain();
        drain_tick(NULL);
        return 1;
    }
    uint64_t now = clock_monotonic_ns();
    if (app_open() && now < drain_deadline)
        return 0;
    if (app_open())
        log_warn("power", "drain: %u connections still open after %.1f s: closing anyway", app_open(),
                 config.limits.drain_timeout_ms / 1000.0);
    log_info("power", "drained");
    store_close();
    power_off(POWER_EXIT_OK);
}

/* Console commands (COM1 input): read-only views for whoever holds the
 * serial console; there is no shell. */
static void console_command(const char *line)
{
    if (strcmp(line, "fw") == 0) {
        net_firewall_log_stats();
    } else if (strcmp(line, "net") == 0) {
        net_log_stats();
    } else if (strcmp(line, "http") == 0) {
        app_log_stats();
    } else if (strcmp(line, "tls") == 0) {
        net_tls_log_stats();
    } else if (strcmp(line, "db") == 0) {
        uint64_t prepared, cached;
        store_query_stats(&prepared, &cached);
        log_info("store", "%s", store_status());
        log_info("store", "statements: %llu prepared, %llu served from the cache",
                 (unsigned long long)prepared, (unsigned long long)cached);
    } else if (strcmp(line, "help") == 0) {
        log_info("console", "commands: fw (firewall counters), net (device and firewall counters), "
                 "http (server counters), tls (handshakes and session cache), db (the database), help");
    } else {
        log_info("console", "unknown command '%s' (try help)", line);
    }
}

static uint64_t poweroff_at_ns;

static void power_off_timer(void *arg)
{
    (void)arg;
    uint64_t turns, halts;
    net_log_stats();
    app_log_stats();
    loop_stats(&turns, &halts);
    log_info("test", "power-off timer fired %.3fms after its deadline; loop turns=%llu halts=%llu timer_irqs=%llu",
             (double)(clock_monotonic_ns() - poweroff_at_ns) / 1e6, (unsigned long long)turns,
             (unsigned long long)halts, (unsigned long long)intr_count_timer());
    power_off(POWER_EXIT_OK);
}

/* Devices as found: the first network card, up to four disks (vda-vdd in
 * the order found: PCI first, then virtio-mmio), an entropy source. */
static struct netdev *boot_nic;
static struct blkdev *disks[4];
static unsigned ndisks;
static int have_rng;

/* A virtio-blk disk becomes the next vdX, unless it is the appliance's
 * own boot image (a cloud boots from a virtio disk too): then `disk vda`
 * still names the first data disk, and the boot disk is never a
 * database's. */
static void attach_disk(const struct virtio_loc *loc)
{
    struct blkdev *d = virtio_blk_attach(loc);
    if (!d)
        return;
    static uint8_t gpt[2 * 4096];
    if (d->sector_size <= 4096 && d->nsectors > 3 && d->read(d, 1, gpt, 2) == 0 &&
        layout_is_boot_image(gpt, 2 * (size_t)d->sector_size, d->sector_size)) {
        log_info("disk", "%s holds this appliance's boot image (GPT, %s): not a data disk", d->name,
                 LAYOUT_ESP_NAME);
        return;
    }
    disks[ndisks++] = d;
}

static void attach_virtio(const struct virtio_loc *loc, uint16_t type, const char *where)
{
    if (type == VIRTIO_ID_NET && !boot_nic)
        boot_nic = virtio_net_attach(loc);
    else if (type == VIRTIO_ID_BLOCK && ndisks < 4)
        attach_disk(loc);
    else if (type == VIRTIO_ID_RNG && !have_rng)
        have_rng = virtio_rng_attach(loc) == 0;
    else
        log_info("virtio", "%s: virtio device type %u: no driver yet", where, type);
}

void kmain(const struct hvm_start_info *si);
void kmain(const struct hvm_start_info *si)
{
    serial_init();
    log_set_sink(serial_write);

    /* GRUB (Multiboot2): its boot information made into PVH start info. */
    extern uint32_t boot_multiboot2;
    static struct mb2_boot mb2;
    if (boot_multiboot2) {
        const char *why = "";
        if (multiboot2_read((const uint8_t *)si, 1u << 20, &mb2, &why) < 0) {
            log_error("boot", "Multiboot2 boot information: %s", why);
            power_halt();
        }
        si = &mb2.si;
        log_info("boot", "booted by %s (Multiboot2)", mb2.loader[0] ? mb2.loader : "a Multiboot2 loader");
        log_debug("boot", "Multiboot2 tags %#llx, rsdp %#llx", (unsigned long long)mb2.tags,
                  (unsigned long long)mb2.si.rsdp_paddr);
    }
    if (si->magic != PVH_START_MAGIC) {
        log_error("boot", "PVH start info magic is %#x, want %#x: not booted by a PVH loader",
                  si->magic, PVH_START_MAGIC);
        power_halt();
    }
    read_cmdline(si);
    int debugexit = cmdline_get(&cmdline, "debugexit") != NULL;
    struct acpi_power acpi;
    memset(&acpi, 0, sizeof acpi);
    power_init(&acpi, debugexit);

    intr_init();

    static struct e820_entry map[E820_MAX_ENTRIES];
    size_t nmap = read_memmap(si, map);
    if (nmap == 0)
        panic("boot: the loader gave no memory map (PVH start info version %u)", si->version);
    struct memory_reserved rsv[8];
    size_t nrsv = 0;
    const struct hvm_modlist_entry *mods = (const void *)(uintptr_t)si->modlist_paddr;
    for (uint32_t i = 0; mods && i < si->nr_modules && nrsv < 8; i++) {
        rsv[nrsv].start = mods[i].paddr;
        rsv[nrsv].end = mods[i].paddr + mods[i].size;
        nrsv++;
    }
    if (memory_init(map, nmap, rsv, nrsv) < 0)
        panic("boot: memory set-up failed (see above)");


    acpi_init(si->rsdp_paddr, &acpi);
    for (unsigned i = 0; i < acpi.nioapic; i++)
        ioapic_add(acpi.ioapic[i].addr, acpi.ioapic[i].gsi_base);
    power_init(&acpi, debugexit);

    lapic_init();
    if (clock_init(acpi.century_reg) < 0)
        panic("clock: the PIT does not count, so the TSC cannot be calibrated");

    csprng_init();

    int have_blob = si->nr_modules >= 1 && mods;
    load_config(have_blob ? (const uint8_t *)(uintptr_t)mods[0].paddr : NULL,
                have_blob ? (size_t)mods[0].size : 0);

    struct memory_info mi;
    memory_get_info(&mi);
    struct clock_info ci;
    clock_get_info(&ci);
    log_info("boot", "appliance %s: picolibc %s, %s, %s", APPLIANCE_VERSION,
             __PICOLIBC_VERSION__, net_versions(), store_version());
    log_info("mem", "ram=%.1fMiB usable=%.1fMiB kernel=%.1fMiB heap=%.1fMiB pool=%.1fMiB",
             mib(mi.ram_bytes), mib(mi.usable_bytes), mib(mi.kernel_bytes),
             mib(mi.heap_bytes), mib(mi.pool_free_bytes));
    log_info("clock", "tsc=%.3fMHz lapic=%.3fMHz calibrated in %.1fms wall=%lld",
             (double)ci.tsc_hz / 1e6, (double)ci.lapic_hz / 1e6, (double)ci.calib_ns / 1e6,
             (long long)ci.boot_epoch);
    if (csprng_ready())
        log_info("entropy", "csprng seeded from %s", csprng_source());
    else
        log_warn("entropy", "CPU lacks RDSEED/RDRAND: waiting for virtio-rng "
                 "(without a hardware entropy source TLS will not be served)");

    /* picolibc: printf of a double, through the real stdout stream. */
    char dbl[32];
    snprintf(dbl, sizeof dbl, "%.4f", 3.14159265358979);
    int fail = strcmp(dbl, "3.1416") != 0;
    printf("stdout: picolibc printf(\"%%.4f\", pi) = %s %s\n", dbl, fail ? "FAILED" : "ok");
    if (fail)
        log_error("selftest", "picolibc printf of a double gave %s, want 3.1416: FAILED", dbl);
    else
        log_info("selftest", "picolibc printf %%.4f of pi = %s ok", dbl);
    fail |= net_selftest() < 0;
    fail |= store_selftest() < 0;
    if (fail) {
        log_error("selftest", "boot self-test failed");
        power_off(POWER_EXIT_SELFTEST);
    }
    log_info("selftest", "all passed");

    pci_init(acpi.ecam_base, acpi.ecam_bus_start, acpi.ecam_bus_end);
    static struct pci_dev pcidevs[PCI_MAX_DEVICES];
    int npci = pci_enumerate(pcidevs, PCI_MAX_DEVICES);
    for (int i = 0; i < npci; i++) {
        uint16_t type = virtio_pci_type(&pcidevs[i]);
        struct virtio_loc loc = { .pci = &pcidevs[i] };
        char where[24];
        snprintf(where, sizeof where, "pci %02x:%02x.%u", pcidevs[i].bus, pcidevs[i].dev, pcidevs[i].fn);
        if (type)
            attach_virtio(&loc, type, where);
    }
    /* virtio-mmio devices, after PCI's: from the command line (QEMU
     * microvm with acpi=off, Firecracker), then from the DSDT (microvm
     * with ACPI), each window once. */
    struct virtio_loc mloc[CMDLINE_MAX_ARGS + ACPI_MMIO_MAX];
    unsigned nloc = 0, nmmio = 0;
    for (size_t i = 0; i < cmdline.nargs; i++) {
        if (strcmp(cmdline.args[i].key, "virtio_mmio.device") != 0)
            continue;
        struct virtio_loc *l = &mloc[nloc];
        *l = (struct virtio_loc){ 0 };
        if (cmdline_virtio_mmio(cmdline.args[i].val, &l->mmio_base, &l->mmio_size, &l->mmio_irq) < 0)
            log_warn("virtio", "virtio_mmio.device=%s: not SIZE@BASE:IRQ, ignored", cmdline.args[i].val);
        else
            nloc++;
    }
    for (unsigned i = 0; i < acpi.nmmio; i++) {
        unsigned k = 0;
        while (k < nloc && mloc[k].mmio_base != acpi.mmio[i].base)
            k++;
        if (k == nloc)
            mloc[nloc++] = (struct virtio_loc){ NULL, acpi.mmio[i].base, acpi.mmio[i].size, acpi.mmio[i].irq };
    }
    for (unsigned i = 0; i < nloc; i++) {
        char where[40];
        snprintf(where, sizeof where, "mmio %#llx irq %u", (unsigned long long)mloc[i].mmio_base, mloc[i].mmio_irq);
        uint16_t type = virtio_mmio_type(mloc[i].mmio_base, mloc[i].mmio_size);
        if (type)
            attach_virtio(&mloc[i], type, where);
        nmmio += type != 0;
    }
    if (nmmio)
        log_info("virtio", "%u virtio-mmio devices found", nmmio);
    log_info("pci", "%d functions found", npci);
    struct blkdev *disk = disks[0];
    struct netdev *nic = boot_nic;
    if (!disk)
        log_warn("disk", "no virtio-blk data disk: persistent storage unavailable "
                 "(add -drive if=none,id=d0,file=data.img,format=raw -device virtio-blk-pci,drive=d0)");
    if (!csprng_ready() && !have_rng)
        log_warn("entropy", "no hardware entropy source (no RDSEED/RDRAND, no virtio-rng): "
                 "TLS will not be served; use a CPU with RDRAND or add -device virtio-rng-pci");
    if (nic) {
        char err[160];
        if (have_blob) {
            /* The blob decides; ip=/gw= on the command line are only for
             * booting without one. */
            if (cmdline_get(&cmdline, "ip") || cmdline_get(&cmdline, "gw"))
                log_warn("net", "ip=/gw= on the command line ignored: the config blob sets the network");
        } else if (net_parse_config(cmdline_get(&cmdline, "ip"), cmdline_get(&cmdline, "gw"),
                                    &config.network, err, sizeof err) < 0) {
            log_error("net", "%s", err);
            power_off(POWER_EXIT_CONFIG);
        }
        test_tcpsvc_ports();
        const char *fwmode = cmdline_get(&cmdline, "test.fw");
        net_firewall_init(&config.firewall, !(fwmode && strcmp(fwmode, "off") == 0));
        if (net_start(nic, &config.network) < 0)
            log_error("net", "network start failed: not serving");
    } else {
        log_warn("net", "no virtio-net device: the appliance cannot serve (add -device virtio-net-pci; on QEMU "
                 "microvm: -global virtio-mmio.force-legacy=false -device virtio-net-device)");
    }

    /* The data before the routes that serve it: readiness waits for it. */
    store_open(&config, config.database.disk < ndisks ? disks[config.database.disk] : NULL);

    for (unsigned i = 0; nic && i < ntestsvc; i++)
        net_testsvc_start(testsvc_port[i]);
    if (nic && app_start(&config) == 0 && tlssvc_port)
        net_testsvc_tls_start(tlssvc_port);

    const char *dtest = cmdline_get(&cmdline, "test.disk");
    if (dtest) {
        if (!disk)
            log_error("disktest", "test.disk given but there is no disk");
        else if (blkdev_test(disk, dtest) < 0)
            log_error("disktest", "FAILED");
    }

    const char *fault = cmdline_get(&cmdline, "test.fault");
    if (fault)
        testhooks_fault(fault);
    const char *off = cmdline_get(&cmdline, "test.poweroff");
    if (off) {
        /* test.poweroff[=MS]: the deadline goes through the loop's timer,
         * so a test sees the halted loop woken by the LAPIC interrupt. */
        char *end;
        unsigned long ms = strtoul(off, &end, 10);
        if (*end)
            log_warn("test", "test.poweroff=%s: not a number of milliseconds; using 0", off);
        poweroff_at_ns = clock_monotonic_ns() + (*end ? 0 : (uint64_t)ms * 1000000u);
        loop_timer_add(poweroff_at_ns, power_off_timer, NULL);
    }

    power_button_start();
    loop_add_poller(drain_poll, NULL);
    if (serial_rx_start(console_command) < 0)
        log_warn("console", "no console input (no interrupt for COM1)");
    app_set_ready(1);
    memory_get_info(&mi);
    log_info("boot", "ready in %.1fms (heap used %.1fKiB)",
             (double)clock_monotonic_ns() / 1e6, (double)mi.heap_used / 1024.0);
    loop_run();
}
