#!/usr/bin/python3
"""bench-boot.py [RUNS]: for each way the appliance boots (-kernel (PVH)
on q35, the disk image under SeaBIOS and under OVMF, -kernel on microvm
with virtio-mmio), the time from QEMU's start to the console's "boot:
listening on" line and to the first HTTPS answer (GET /healthz with the
development certificate, through QEMU's user network, whose forwarded
connections are accepted about once a second when the guest is not yet
listening: that column is coarse). Medians of RUNS (5) under the
machine's accelerator (TCG here); prints a table and the disk image's
size. No root needed: loopback forwards only."""
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from qemu import ACCEL, free_port  # noqa: E402

KERNEL = os.path.join(ROOT, "build", "appliance.elf")
CA = os.path.join(ROOT, "build", "devcert", "dev-cert.pem")


def first_https(port, deadline):
    ctx = ssl.create_default_context(cafile=CA)
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                with ctx.wrap_socket(s, server_hostname="localhost") as t:
                    t.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    if t.recv(64).startswith(b"HTTP/1.1 200"):
                        return True
        except OSError:
            time.sleep(0.02)
    return False


def run(mode, img, tmp):
    sp = free_port()
    net = ["-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{sp}-:443"]
    base = ["qemu-system-x86_64", "-accel", ACCEL, "-cpu", "max", "-m", "256M", "-nodefaults", "-no-reboot",
            "-display", "none", "-serial", "stdio"]
    if mode == "kernel-q35":
        cmd = base + ["-M", "q35", "-kernel", KERNEL, "-append", f"https-port={sp}"] + net + \
            ["-device", "virtio-net-pci,netdev=n0"]
    elif mode == "microvm":
        cmd = base + ["-M", "microvm", "-global", "virtio-mmio.force-legacy=false", "-kernel", KERNEL,
                      "-append", f"https-port={sp}"] + net + ["-device", "virtio-net-device,netdev=n0"]
    else:
        cmd = base + ["-M", "q35", "-drive", f"file={img},format=raw,if=ide,snapshot=on"] + net + \
            ["-device", "virtio-net-pci,netdev=n0"]
        if mode == "image-ovmf":
            shutil.copy("/usr/share/OVMF/OVMF_VARS_4M.fd", os.path.join(tmp, "vars.fd"))
            cmd += ["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                    "-drive", f"if=pflash,format=raw,file={os.path.join(tmp, 'vars.fd')}"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    listening = []

    def watch():
        for line in p.stdout:
            if b"boot: listening on" in line and not listening:
                listening.append(time.monotonic() - t0)

    threading.Thread(target=watch, daemon=True).start()
    try:
        ok = first_https(sp, t0 + 120)
        return (listening[0] if listening else None, time.monotonic() - t0 if ok else None)
    finally:
        p.kill()
        p.wait()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tmp = tempfile.mkdtemp(prefix="bench-boot-")
    img = os.path.join(tmp, "appliance.img")
    subprocess.run([os.path.join(ROOT, "tools", "image.sh"), "build", img,
                    os.path.join(ROOT, "build", "appliance-stripped.elf")], check=True, capture_output=True)
    print(f"{'boot':28s} {'listening':>10s} {'first HTTPS':>12s}   (medians in s; accel {ACCEL}, {runs} runs)")
    for mode, label in [("kernel-q35", "-kernel (PVH), q35"), ("image-bios", "disk image, SeaBIOS"),
                        ("image-ovmf", "disk image, OVMF (UEFI)"), ("microvm", "-kernel, microvm (mmio)")]:
        res = [run(mode, img, tmp) for _ in range(runs)]
        lis = [a for a, _ in res if a is not None]
        htt = [b for _, b in res if b is not None]
        fmt = lambda v: f"{statistics.median(v):.2f}" if v else "failed"
        print(f"{label:28s} {fmt(lis):>10s} {fmt(htt):>12s}")
    size = os.path.getsize(img)
    xz = subprocess.run(["xz", "-9", "-c", img], capture_output=True).stdout
    print(f"disk image: {size >> 20} MiB raw, {len(xz) / 1048576:.1f} MiB xz-compressed")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
