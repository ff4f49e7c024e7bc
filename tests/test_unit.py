"""Host unit tests of the pure kernel modules (built by `make unit` with
ASan and UBSan): one pytest case per binary."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINS = sorted(glob.glob(os.path.join(ROOT, "build", "host", "test_*")))
SRCS = sorted(glob.glob(os.path.join(ROOT, "tests", "unit", "test_*.c")))


def test_every_unit_source_was_built():
    built = {os.path.basename(b) for b in BINS}
    want = {os.path.basename(s)[:-2] for s in SRCS}
    assert want and want <= built, f"not built: {want - built} (run make unit)"


@pytest.mark.parametrize("binary", BINS, ids=os.path.basename)
def test_unit(binary):
    r = subprocess.run([binary], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ", 0 failed" in r.stdout
