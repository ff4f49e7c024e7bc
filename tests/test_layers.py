"""The layer rules of docs/architecture.md hold, and the checker catches a
violation (so this test can fail)."""
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "tools", "check-layers.py")


def run(root):
    return subprocess.run(["/usr/bin/python3", CHECK, root], capture_output=True, text=True)


def test_tree_respects_layers():
    r = run(ROOT)
    assert r.returncode == 0, r.stdout


def test_checker_catches_violations(tmp_path):
    for d in ("kernel", "drivers", "net", "store", "app"):
        shutil.copytree(os.path.join(ROOT, d), tmp_path / d) if os.path.isdir(os.path.join(ROOT, d)) \
            else os.makedirs(tmp_path / d)
    (tmp_path / "drivers" / "bad.c").write_text('#include "net/net.h"\n')
    (tmp_path / "app" / "bad.c").write_text('#include "lwip/tcp.h"\n#include "sqlite3.h"\n')
    (tmp_path / "kernel" / "bad.c").write_text('#include "bearssl.h"\n')
    r = run(str(tmp_path))
    assert r.returncode == 1
    assert "drivers/bad.c:1: drivers/ may not include net/net.h" in r.stdout
    assert "app/bad.c:1: app/ may not include lwip headers" in r.stdout
    assert "app/bad.c:2: app/ may not include sqlite headers" in r.stdout
    assert "kernel/bad.c:1: kernel/ may not include bearssl headers" in r.stdout
