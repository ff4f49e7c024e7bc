"""Whole-image disk tests: the virtio-blk driver writes a pattern across the
whole disk (first and last sector included) and flushes; the host reads the
raw file to check it landed; a second boot verifies it; reads past the end
fail cleanly; a missing disk is reported and the system still boots."""
import re

import pytest

from qemu import EXIT_OK, boot

M64 = (1 << 64) - 1
SECTOR = 512


def sector(lba, seed):
    """drivers/blktest.c's layout: LBA, seed, then xorshift64 words."""
    out = bytearray(lba.to_bytes(8, "little") + seed.to_bytes(8, "little"))
    x = (lba ^ seed) | 1
    for _ in range((SECTOR - 16) // 8):
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        out += x.to_bytes(8, "little")
    return bytes(out)


def disk_args(path, device="virtio-blk-pci"):
    return ["-drive", f"file={path},format=raw,if=none,id=d0,cache=writeback",
            "-device", f"{device},drive=d0"]


@pytest.mark.parametrize("machine,device", [("q35", "virtio-blk-pci"),
                                            ("pc", "virtio-blk-pci,disable-legacy=on")])
def test_pattern_survives_power_off_and_reboot(tmp_path, machine, device):
    img = tmp_path / "data.img"
    size = 24 * 1024 * 1024 + 7 * SECTOR          # not a power of two: the tail is odd
    with open(img, "wb") as f:
        f.truncate(size)
    nsect = size // SECTOR
    rc, out = boot("test.disk=write:4242 test.poweroff", machine=machine, extra=disk_args(img, device))
    assert rc == EXIT_OK, out
    assert f"{nsect} sectors" in out
    assert re.search(rf"disktest: wrote and flushed {nsect} sectors ok", out), out
    assert "past the end: read=-34 read2=-34 write=-34 (want -34, -34); last sector read=0" in out

    # The host sees exactly the pattern in the raw file: first, middle, last.
    data = img.read_bytes()
    for lba in (0, 1, nsect // 2, nsect - 2, nsect - 1):
        assert data[lba * SECTOR:(lba + 1) * SECTOR] == sector(lba, 4242), lba

    rc, out = boot("test.disk=verify:4242 test.poweroff", machine=machine, extra=disk_args(img, device))
    assert rc == EXIT_OK
    assert re.search(rf"disktest: verified {nsect} sectors ok", out), out

    # The check can fail: a different seed, or one corrupted sector.
    rc, out = boot("test.disk=verify:4243 test.poweroff", machine=machine, extra=disk_args(img, device))
    assert "MISMATCH at lba 0" in out and "disktest: FAILED" in out
    with open(img, "r+b") as f:
        f.seek((nsect - 1) * SECTOR + 100)
        f.write(b"\xff")
    rc, out = boot("test.disk=verify:4242 test.poweroff", machine=machine, extra=disk_args(img, device))
    assert f"MISMATCH at lba {nsect - 1}" in out


def test_read_only_disk_refuses_writes(tmp_path):
    img = tmp_path / "ro.img"
    with open(img, "wb") as f:
        f.truncate(1024 * 1024)
    rc, out = boot("test.disk=write:1 test.poweroff",
                   extra=["-drive", f"file={img},format=raw,if=none,id=d0,readonly=on",
                          "-device", "virtio-blk-pci,drive=d0"])
    assert rc == EXIT_OK
    assert "read-only" in out and "write at lba 0 failed: -30" in out     # -EROFS
    assert "past the end: read=-34 read2=-34 write=-30 (want -34, -30); last sector read=0" in out


def test_missing_disk_is_reported_and_boot_continues():
    rc, out = boot("test.poweroff")
    assert rc == EXIT_OK, out
    assert "no virtio-blk data disk: persistent storage unavailable" in out
    assert "selftest: all passed" in out
