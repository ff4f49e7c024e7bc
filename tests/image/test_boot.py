"""Whole-image tests of the foundation: boot the real kernel in QEMU (TCG)
and check what the serial console and the exit status say."""
import os
import re
import select
import subprocess
import time

import pytest

from qemu import (EXIT_ACPI_OFF, EXIT_EXCEPTION, EXIT_OK, EXIT_PANIC, KERNEL, ROOT,
                  Guest, boot)

VERSIONS = "picolibc 1.8.10, lwIP 2.2.1, BearSSL 0.6, SQLite 3.46.1"


def addr2line(addr):
    r = subprocess.run(["addr2line", "-f", "-e", KERNEL, addr], capture_output=True, text=True)
    return r.stdout.split("\n")[0]


@pytest.mark.parametrize("machine", ["q35", "microvm", "pc"])
def test_banner_selftests_and_clean_poweroff(machine):
    rc, out = boot("test.poweroff", machine=machine)
    assert rc == EXIT_OK, out
    assert f"appliance 0.1.0: {VERSIONS}" in out
    assert re.search(r"selftest: picolibc printf %\.4f of pi = 3\.1416 ok", out)
    assert "stdout: picolibc printf(\"%.4f\", pi) = 3.1416 ok" in out      # through stdout
    assert "selftest: lwip 2.2.1 initialised ok" in out
    assert "selftest: bearssl sha256(\"abc\") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ok" in out
    assert re.search(r"selftest: sqlite 3\.46\.1 in-memory query: count=3 sum=6\.75 ok", out)
    assert "selftest: all passed" in out
    assert "power: powering off" in out
    # Every log line has the documented shape.
    for line in out.splitlines():
        if line.startswith("["):
            assert re.match(r"^\[ *\d+\.\d{6}\] (ERROR|WARN |INFO |DEBUG) \S+: ", line), line


@pytest.mark.parametrize("mem_mib", [128, 512, 3072])
def test_ram_reported_follows_the_vm(mem_mib):
    rc, out = boot("test.poweroff", mem=f"{mem_mib}M")
    assert rc == EXIT_OK, out
    m = re.search(r"mem: ram=([\d.]+)MiB usable=([\d.]+)MiB kernel=([\d.]+)MiB "
                  r"heap=([\d.]+)MiB pool=([\d.]+)MiB", out)
    assert m, out
    ram, usable, kernel, heap, pool = map(float, m.groups())
    # Firmware keeps the top 128 KiB and the legacy holes: within 2 MiB.
    assert mem_mib - 2 <= ram <= mem_mib, out
    assert mem_mib - 6 <= usable + kernel <= mem_mib, out
    assert heap >= 0.6 * mem_mib and pool >= 4, out
    assert abs(heap + pool - usable) < 1.0, out


def test_more_ram_means_more_heap():
    heaps = []
    for mem in ("128M", "512M"):
        rc, out = boot("test.poweroff", mem=mem)
        heaps.append(float(re.search(r"heap=([\d.]+)MiB", out).group(1)))
    assert heaps[1] > 3 * heaps[0]


@pytest.mark.parametrize("kind,func,name", [
    ("pf", "testhooks_page_fault", "#PF page fault"),
    ("gp", "testhooks_gp_fault", "#GP general protection"),
    ("de", "testhooks_divide", "#DE divide error"),
    ("ud", "testhooks_fault", "#UD invalid opcode"),
])
def test_deliberate_fault_gives_dump_and_failure_code(kind, func, name):
    rc, out = boot(f"test.fault={kind}")
    assert rc == EXIT_EXCEPTION, out
    assert f"*** CPU EXCEPTION" in out and name in out, out
    for reg in ("rip=", "cr2=", "cr3=", "rax=", "r15=", "rflags="):
        assert reg in out
    rip = re.search(r"#0 (0x[0-9a-f]+) \(faulting instruction\)", out).group(1)
    assert addr2line(rip) == func
    frames = re.findall(r"^  #\d+ (0x[0-9a-f]+)$", out, re.M)
    assert "kmain" in [addr2line(a) for a in frames], out
    if kind == "pf":
        assert "cr2=0x0000010000000000" in out
    assert "power: stopped (exit code 2)" in out


def test_panic_gives_message_backtrace_and_code():
    rc, out = boot("test.fault=panic")
    assert rc == EXIT_PANIC, out
    assert "ERROR PANIC: test.fault=panic requested" in out
    frames = re.findall(r"^  #\d+ (0x[0-9a-f]+)$", out, re.M)
    names = [addr2line(a) for a in frames]
    assert "testhooks_fault" in names and "kmain" in names, names


@pytest.mark.parametrize("machine", ["q35", "microvm"])
def test_acpi_poweroff_without_debug_exit(machine):
    rc, out = boot("test.poweroff", machine=machine, debugexit=False)
    assert rc == EXIT_ACPI_OFF, out
    assert "power: powering off" in out
    assert "did not take effect" not in out


def test_timer_wakes_the_idle_loop():
    with Guest("test.poweroff=400") as g:
        t_ready, _ = g.wait_for(r"boot: ready in")
        _, m = g.wait_for(r"fired ([\d.]+)ms after its deadline; loop turns=(\d+) halts=(\d+) timer_irqs=(\d+)")
        assert g.wait_exit() == EXIT_OK
    late_ms, turns, halts, irqs = float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))
    # The loop slept (hlt) and the LAPIC one-shot woke it: no busy polling.
    assert halts >= 1 and irqs >= 1 and turns <= 10 * halts + 10
    assert late_ms < 200


def test_idle_uses_little_host_cpu():
    with Guest("") as g:
        g.wait_for(r"boot: ready in")
        time.sleep(0.5)
        used = g.idle_cpu_share(2.0)
    assert used < 0.5, f"idle guest used {used:.0%} of a host CPU"


def test_no_hardware_entropy_is_reported():
    rc, out = boot("test.poweroff", cpu="qemu64")
    assert rc == EXIT_OK, out
    assert "no hardware entropy source (no RDSEED/RDRAND, no virtio-rng): TLS will not be served" in out
    assert "csprng seeded" not in out


def test_virtio_rng_seeds_the_csprng_without_rdrand():
    rc, out = boot("test.poweroff=300", cpu="qemu64", extra=["-device", "virtio-rng-pci"])
    assert rc == EXIT_OK, out
    assert "entropy: csprng seeded from virtio-rng" in out
    assert "no hardware entropy source (" not in out


def test_virtio_rng_with_rdrand_is_extra_entropy():
    rc, out = boot("test.poweroff=300", extra=["-device", "virtio-rng-pci,disable-legacy=on"])
    assert rc == EXIT_OK, out
    assert re.search(r"csprng seeded from (rdseed|rdrand)", out)
    assert "virtio-rng@" in out and "ready" in out


def test_entropy_from_cpu_when_present():
    rc, out = boot("test.poweroff")
    assert re.search(r"entropy: csprng seeded from (rdseed|rdrand)", out), out


def test_log_level_from_command_line():
    rc, out = boot("test.poweroff log=debug")
    assert rc == EXIT_OK and "DEBUG mem: e820" in out
    rc, out = boot("test.poweroff log=warn")
    assert rc == EXIT_OK
    assert "INFO " not in out and "selftest: all passed" not in out
    rc, out = boot("test.poweroff log=loud")
    assert "log=loud: unknown level" in out and "INFO  boot: appliance" in out


def test_wall_clock_from_rtc():
    rc, out = boot("test.poweroff")
    wall = int(re.search(r"wall=(-?\d+)", out).group(1))
    assert abs(wall - time.time()) < 30, out


def test_make_run_boots_with_loopback_only_forwards():
    env = dict(os.environ, HTTP_PORT="18080", HTTPS_PORT="18443")
    p = subprocess.Popen(["make", "-s", "-C", ROOT, "run", "QEMU_EXTRA=-name appliance-run-test"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    try:
        out = b""
        deadline = time.monotonic() + 60
        while b"boot: ready in" not in out and time.monotonic() < deadline:
            if select.select([p.stdout], [], [], 0.5)[0]:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        text = out.decode("utf-8", "replace")
        assert "boot: ready in" in text, text
        assert VERSIONS in text
        ss = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        listen = [l.split()[3] for l in ss.splitlines() if ":18080" in l or ":18443" in l]
        assert sorted(listen) == ["127.0.0.1:18080", "127.0.0.1:18443"], ss
    finally:
        os.killpg(p.pid, 9)
        p.wait(timeout=10)
