"""The appliance on QEMU's microvm machine with virtio-mmio devices (no
PCI): found in the DSDT (microvm's default, ACPI on: its devices sit on a
second I/O APIC, GSIs 24-47, from the MADT) or on the command line QEMU
writes with acpi=off (virtio_mmio.device=); virtio-net and virtio-blk
unchanged over the MMIO transport.
It serves HTTPS with the built-in default and a sql route on its disk;
legacy (version 1) MMIO devices and malformed device arguments are
refused with a clear message."""
import http.client
import json
import os
import shutil
import ssl
import subprocess

import pytest

from qemu import EXIT_OK, ROOT, Guest, boot, free_port

APCTL = os.path.join(ROOT, "build", "apctl")
MICROVM = "microvm,acpi=off"
MODERN = ["-global", "virtio-mmio.force-legacy=false"]


def devices(http_port, https_port, disk=None):
    extra = MODERN + ["-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{http_port}-:80,"
                                 f"hostfwd=tcp:127.0.0.1:{https_port}-:443",
                      "-device", "virtio-net-device,netdev=n0"]
    if disk:
        extra += ["-drive", f"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0"]
    return extra


@pytest.mark.parametrize("machine", ["microvm", MICROVM])
def test_microvm_serves_https_over_virtio_mmio(machine):
    hp, sp = free_port(), free_port()
    with Guest(f"https-port={sp}", machine=machine, extra=devices(hp, sp)) as g:
        g.wait_for(r"virtio: virtio-net@mmio:feb0[0-9a-f]+: ready, .* interrupts via IOAPIC line \d+")
        g.wait_for(r"virtio: 1 virtio-mmio devices found")
        g.wait_for(r"boot: listening on")
        ctx = ssl.create_default_context(cafile=os.path.join(ROOT, "build", "devcert", "dev-cert.pem"))
        c = http.client.HTTPSConnection("localhost", sp, context=ctx, timeout=30)
        c.request("GET", "/")
        r = c.getresponse()
        assert r.status == 200 and b"<" in r.read()
        c.request("GET", "/healthz")
        assert c.getresponse().status == 200


def test_microvm_keeps_data_on_a_virtio_mmio_disk(tmp_path):
    d = tmp_path / "social"
    shutil.copytree(os.path.join(ROOT, "examples", "social"), d)
    r = subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", str(d / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    disk = tmp_path / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(32 << 20)
    hp, sp = free_port(), free_port()
    for boot_no in range(2):
        with Guest("", machine=MICROVM, extra=["-initrd", str(d / "blob")] + devices(hp, sp, disk)) as g:
            g.wait_for(r"virtio: 2 virtio-mmio devices found")
            g.wait_for(r"store: ready")
            g.wait_for(r"boot: listening on")
            c = http.client.HTTPConnection("127.0.0.1", hp, timeout=60)
            if boot_no == 0:
                # Signing up hashes the password in the guest (PBKDF2, seconds under TCG).
                c.request("POST", "/api/users", body=json.dumps({"handle": "micro", "password": "micro-password"}),
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                assert r.status == 201, r.read()
                r.read()
            c.request("GET", "/api/users/1")
            r = c.getresponse()
            assert r.status == 200 and json.loads(r.read())["handle"] == "micro"


def test_legacy_and_malformed_mmio_devices_are_refused():
    hp, sp = free_port(), free_port()
    extra = devices(hp, sp)[2:]                  # without force-legacy=false: QEMU's legacy default
    rc, out = boot("test.poweroff=300 virtio_mmio.device=512@nowhere:5 virtio_mmio.device=512@0xfeb00000:0",
                   machine=MICROVM, extra=extra)
    assert rc == EXIT_OK, out
    assert "virtio-mmio version 1 (legacy): not used; QEMU: -global virtio-mmio.force-legacy=false" in out
    assert "virtio_mmio.device=512@nowhere:5: not SIZE@BASE:IRQ, ignored" in out
    assert "virtio_mmio.device=512@0xfeb00000:0: not SIZE@BASE:IRQ, ignored" in out
    assert "no virtio-net device" in out
