"""Tap-path helpers for whole-image tests: each test gets its own network
namespace holding a tap device (192.0.2.1/24, a documentation range) and
runs QEMU and the clients inside it, so no packet leaves the namespace.
Needs root and /dev/net/tun (tests are skipped otherwise)."""
import os
import subprocess
import time

import pytest

from qemu import Guest

needs_tap = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/net/tun"),
                               reason="needs root and /dev/net/tun for a network namespace with a tap")

GUEST_MAC = "52:54:00:12:34:56"


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


@pytest.fixture
def netns():
    """The `ip netns exec NAME` prefix of a fresh namespace with tap0 up."""
    name = f"aptest-{os.getpid()}-{time.monotonic_ns() % 100000}"
    sh("ip", "netns", "add", name)
    try:
        ex = ["ip", "netns", "exec", name]
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
        sh(*ex, "ip", "addr", "add", "192.0.2.1/24", "dev", "tap0")
        sh(*ex, "ip", "link", "set", "tap0", "up")
        yield ex
    finally:
        for pid in sh("ip", "netns", "pids", name, check=False).stdout.split():
            sh("kill", "-9", pid, check=False)
        sh("ip", "netns", "del", name, check=False)


def tap_guest(ex, append, extra=()):
    return Guest(append, prefix=ex, extra=[
        "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
        "-device", "virtio-net-pci,netdev=n0"] + list(extra))
