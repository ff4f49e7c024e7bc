"""The bootable disk image (tools/image.sh, make image): GPT with GRUB for
legacy BIOS (QEMU's SeaBIOS) and UEFI (Debian's OVMF), the kernel booted by
Multiboot2 with its config blob as a GRUB module. Each firmware boots it
and it serves HTTPS; `set-config` swaps the config in place and the next
boot shows the new one; a corrupted config is reported and the machine
powers off with the config-error code; the kernel still boots by PVH
(-kernel) as before."""
import http.client
import os
import shutil
import ssl
import subprocess

import pytest

from qemu import EXIT_CONFIG, ROOT, Guest, free_port

IMAGE_SH = os.path.join(ROOT, "tools", "image.sh")
KERNEL = os.path.join(ROOT, "build", "appliance-stripped.elf")
APCTL = os.path.join(ROOT, "build", "apctl")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
CA = os.path.join(ROOT, "build", "devcert", "dev-cert.pem")


def image_sh(*args, cmdline="debugexit"):
    env = dict(os.environ, IMAGE_CMDLINE=cmdline)
    r = subprocess.run([IMAGE_SH, *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def boot_image(img, firmware, tmp_path, https_port, http_port):
    extra = ["-drive", f"file={img},format=raw,if=ide",
             "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{http_port}-:80,"
                        f"hostfwd=tcp:127.0.0.1:{https_port}-:443",
             "-device", "virtio-net-pci,netdev=n0"]
    if firmware == "uefi":
        vars_ = tmp_path / "vars.fd"
        shutil.copy(OVMF_VARS, vars_)
        extra = ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,file={vars_}"] + extra
    return Guest(kernel=None, mem="256M", extra=extra)


def https_get(port, path):
    ctx = ssl.create_default_context(cafile=CA)
    c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    d = tmp_path_factory.mktemp("img")
    out = image_sh("build", str(d / "appliance.img"), KERNEL)
    assert "40 MiB (GPT: BIOS boot + EFI system partition)" in out and "the built-in config" in out
    return d / "appliance.img"


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_image_boots_and_serves_https(image, tmp_path, firmware):
    img = tmp_path / "disk.img"
    shutil.copy(image, img)
    sp, hp = free_port(), free_port()
    with boot_image(img, firmware, tmp_path, sp, hp) as g:
        g.wait_for(r"appliance: GRUB loading the kernel", timeout=120)
        g.wait_for(r"boot: booted by GRUB [\d.]+.* \(Multiboot2\)", timeout=60)
        g.wait_for(r"pci: configuration space via ECAM \(ACPI MCFG\)")     # the RSDP reached the kernel
        g.wait_for(r"boot: listening on")
        status, body = https_get(sp, "/")
        assert status == 200 and b"<" in body


def pack_site(tmp_path, name, index):
    site = tmp_path / name
    shutil.copytree(os.path.join(ROOT, "examples", "static-site"), site)
    (site / "www" / "index.html").write_text(index)
    r = subprocess.run([APCTL, "pack", str(site / "appliance.conf"), "-o", str(tmp_path / f"{name}.blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return tmp_path / f"{name}.blob"


def http_get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read()


def test_set_config_swaps_the_blob_in_place(image, tmp_path):
    img = tmp_path / "disk.img"
    shutil.copy(image, img)
    page = "<!doctype html><title>swapped</title><p>swapped config\n"
    blob = pack_site(tmp_path, "new", page)
    assert "config replaced by new.blob" in image_sh("set-config", str(img), str(blob))
    image_sh("get-config", str(img), str(tmp_path / "back.blob"))
    assert (tmp_path / "back.blob").read_bytes() == blob.read_bytes()
    sp, hp = free_port(), free_port()
    with boot_image(img, "bios", tmp_path, sp, hp) as g:
        g.wait_for(r"config: loaded appliance.conf from the blob", timeout=120)
        g.wait_for(r"boot: listening on")
        assert http_get(hp, "/") == (200, page.encode())
    # Not a blob at all: refused before it reaches the image.
    (tmp_path / "junk").write_bytes(b"hello")
    r = subprocess.run([IMAGE_SH, "set-config", str(img), str(tmp_path / "junk")], capture_output=True, text=True)
    assert r.returncode == 1 and "is not a config blob" in r.stderr
    # --default drops it: the built-in config (HTTPS with the dev certificate) again.
    assert "the built-in default boots" in image_sh("set-config", str(img), "--default")


def test_a_corrupted_config_is_reported_and_powers_off(image, tmp_path):
    img = tmp_path / "disk.img"
    shutil.copy(image, img)
    data = bytearray(pack_site(tmp_path, "good", "<p>x\n").read_bytes())
    data[200:260] = b"\xff" * 60                # the archive's entries, damaged
    (tmp_path / "bad.blob").write_bytes(bytes(data))
    image_sh("set-config", str(img), str(tmp_path / "bad.blob"))
    sp, hp = free_port(), free_port()
    with boot_image(img, "bios", tmp_path, sp, hp) as g:
        assert g.wait_exit(timeout=120) == EXIT_CONFIG
        assert "ERROR config:" in g.output


def test_booted_from_a_virtio_disk_the_data_disk_is_still_vda(image, tmp_path):
    """As in a cloud: the image itself on virtio-blk, a blank data disk
    beside it. The boot disk is recognised and left out; `disk vda` is the
    data disk, formatted and used; the image is never written by the store."""
    img = tmp_path / "disk.img"
    shutil.copy(image, img)
    social = tmp_path / "social"
    shutil.copytree(os.path.join(ROOT, "examples", "social"), social)
    r = subprocess.run([APCTL, "pack", str(social / "appliance.conf"), "-o", str(tmp_path / "social.blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    image_sh("set-config", str(img), str(tmp_path / "social.blob"))
    data = tmp_path / "data.img"
    with open(data, "wb") as f:
        f.truncate(32 << 20)
    before = img.read_bytes()
    hp = free_port()
    extra = ["-drive", f"file={img},format=raw,if=none,id=boot", "-device", "virtio-blk-pci,drive=boot,bootindex=0",
             "-drive", f"file={data},format=raw,if=none,id=data", "-device", "virtio-blk-pci,drive=data",
             "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{hp}-:80", "-device", "virtio-net-pci,netdev=n0"]
    with Guest(kernel=None, mem="256M", extra=extra) as g:
        g.wait_for(r"disk: virtio-blk@[0-9a-f:.]+ holds this appliance's boot image \(GPT, appliance-esp\): not a data disk",
                   timeout=120)
        g.wait_for(r"store: formatted the blank disk")
        g.wait_for(r"store: ready")
        g.wait_for(r"boot: listening on")
        assert http_get(hp, "/readyz")[0] == 200
    assert img.read_bytes() == before


def test_no_image_tool_or_partition_mixups():
    r = subprocess.run([IMAGE_SH, "set-config", "/nonexistent.img", "/dev/null"], capture_output=True, text=True)
    assert r.returncode == 1 and "no image" in r.stderr
    r = subprocess.run(["shellcheck", IMAGE_SH], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_apctl_image_validates_the_blob_first(image, tmp_path):
    img = tmp_path / "disk.img"
    shutil.copy(image, img)
    (tmp_path / "bad.blob").write_bytes(b"070701" + b"0" * 200)
    r = subprocess.run([APCTL, "image", "set-config", str(img), str(tmp_path / "bad.blob")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "bad.blob: archive offset" in r.stderr
    blob = pack_site(tmp_path, "ok", "<p>ok\n")
    r = subprocess.run([APCTL, "image", "set-config", str(img), str(blob)], capture_output=True, text=True)
    assert r.returncode == 0 and "config replaced by ok.blob" in r.stdout, r.stderr
    r = subprocess.run([APCTL, "image", "build", str(tmp_path / "new.img"), str(blob)], capture_output=True, text=True)
    assert r.returncode == 0 and "config ok.blob" in r.stdout, r.stderr
    assert subprocess.run([APCTL, "image", "nonsense"], capture_output=True).returncode == 2
