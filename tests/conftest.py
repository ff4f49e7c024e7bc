"""Shared pytest set-up: paths, and a guard that no QEMU outlives the run."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from qemu import RUN_TAG  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def no_qemu_left_behind():
    yield
    left = subprocess.run(["pgrep", "-f", RUN_TAG], capture_output=True, text=True).stdout.split()
    for pid in left:
        subprocess.run(["kill", "-9", pid])
    assert not left, f"QEMU processes were left running: {left}"
