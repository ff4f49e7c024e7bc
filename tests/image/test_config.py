"""Whole-image config tests: the same image boots different blobs into
different appliances; an invalid blob stops the boot with exactly the
message apctl gives, no port open, and the config exit code."""
import os
import subprocess

import pytest

from blob import config_blob, newc
from certs import pair
from qemu import EXIT_CONFIG, EXIT_OK, ROOT, boot

APCTL = os.path.join(ROOT, "build", "apctl")
NET = ["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"]


def packed(tmp_path, text, name):
    d = tmp_path / name
    d.mkdir()
    (d / "appliance.conf").write_text(text)
    blob = d / "blob"
    r = subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", str(blob)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return str(blob)


def effective(out):
    return [l.split("config: | ", 1)[1] for l in out.splitlines() if "config: | " in l]


def test_same_image_two_blobs_two_appliances(tmp_path):
    a = packed(tmp_path, "network { dhcp }\nlog { level debug }\n", "a")
    b = packed(tmp_path, "network {\n  address 10.0.2.15/24\n  gateway 10.0.2.2\n}\nlog { level warn }\n", "b")
    rc, out_a = boot("test.poweroff=1500", extra=["-initrd", a] + NET)
    assert rc == EXIT_OK, out_a
    rc, out_b = boot("test.poweroff=1500", extra=["-initrd", b] + NET)
    assert rc == EXIT_OK, out_b
    # Each prints the effective config apctl shows for its blob...
    for blob, out in ((a, out_a), (b, out_b)):
        shown = subprocess.run([APCTL, "show", blob], capture_output=True, text=True).stdout
        assert effective(out) == shown.rstrip("\n").split("\n")
    assert effective(out_a) != effective(out_b)
    # ...and behaves by it: DHCP with debug lines, versus a static address
    # with the log at warn (no INFO lines after the config took effect).
    assert "net: dhcp: address 10.0.2.15" in out_a and "DEBUG pci:" in out_a
    assert "net: static" not in out_b and "DEBUG" not in out_b
    assert "INFO  selftest" not in out_b


def test_static_network_from_blob_serves(tmp_path):
    blob = packed(tmp_path, "network {\n  address 10.0.2.15/24\n  gateway 10.0.2.2\n}\n", "s")
    rc, out = boot("test.poweroff=1000 ip=dhcp", extra=["-initrd", blob] + NET)
    assert rc == EXIT_OK, out
    assert "net: static: address 10.0.2.15 mask 255.255.255.0 gateway 10.0.2.2" in out
    assert "ip=/gw= on the command line ignored: the config blob sets the network" in out


@pytest.mark.parametrize("text", [
    "network { address 192.0.2.300/24 }\n",
    "netwrk { dhcp }\n",
    "log { level loud }\n",
    "network {\n  dhcp\n",
    "firewall { inbound tcp 70000 from any }\n",
    "routes {\n  GET /a health\n  GET /a ready\n}\n",
    "routes { GET /* static www }\n",                  # not in the blob
    "database { migrations db }\n",                     # nor this
    "limits { header-timeout 10 }\n",
])
def test_invalid_blob_same_message_as_apctl_and_no_listener(tmp_path, text):
    conf = tmp_path / "appliance.conf"
    conf.write_text(text)
    want = subprocess.run([APCTL, "check", str(conf)], capture_output=True, text=True)
    assert want.returncode == 1
    blob = tmp_path / "blob"
    blob.write_bytes(config_blob(text))          # apctl would refuse to pack it
    rc, out = boot("test.poweroff test.tcpsvc=7", extra=["-initrd", str(blob)] + NET)
    assert rc == EXIT_CONFIG, out
    assert f"ERROR config: {want.stderr.rstrip()}" in out
    assert "invalid config blob: not starting" in out
    for never in ("virtio-net", "listening", "TEST-ONLY", "selftest: all passed"):
        assert never not in out


@pytest.mark.parametrize("data,message", [
    (b"this is not an archive, not even close, but long enough to hold a header" * 3,
     "archive offset 0: bad magic (want 070701, a cpio newc archive)"),
    (newc([("other.conf", 0o100644, b"network { dhcp }\n")]),
     "the blob has no appliance.conf (pack it with: apctl pack appliance.conf -o blob)"),
    # The last 124 bytes of a newc archive are its trailer entry.
    (newc([("appliance.conf", 0o100644, b"log { }\n")])[:-124], "archive ends without its TRAILER!!! entry"),
])
def test_corrupt_blob_same_message_as_apctl_show(tmp_path, data, message):
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    shown = subprocess.run([APCTL, "show", str(blob)], capture_output=True, text=True)
    assert shown.returncode == 1 and message in shown.stderr
    rc, out = boot("test.poweroff", extra=["-initrd", str(blob)])
    assert rc == EXIT_CONFIG, out
    assert f"ERROR config: {shown.stderr.rstrip()}" in out


def test_no_blob_uses_the_built_in_default():
    rc, out = boot("test.poweroff")
    assert rc == EXIT_OK
    assert "config: no config blob: the built-in default (" in out
    # It is defaults/ packed at build time: the same text apctl shows.
    shown = subprocess.run([APCTL, "show", os.path.join(ROOT, "build", "default.blob")],
                           capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stderr == ""
    assert effective(out) == shown.stdout.rstrip("\n").split("\n")
    # As documented: DHCP, inbound TCP 80 and 443 and ping only, a welcome
    # page, health and metrics (the health checks served on port 80 too),
    # and the development certificate.
    for line in ("    dhcp", '    inbound tcp 80 from 0.0.0.0/0 "http (redirects to https)"',
                 '    inbound tcp 443 from 0.0.0.0/0 "https"',
                 '    inbound icmp echo-request from 0.0.0.0/0 "ping"', "    outbound all to 0.0.0.0/0",
                 "    GET /healthz health {", "    GET /readyz ready {", "        plain-http serve",
                 "    GET /metrics metrics {", "        auth none", "    GET /* static www", "    certificate tls/dev-cert.pem",
                 "    plain-http redirect"):
        assert line in effective(out)
    assert sum(1 for l in effective(out) if l.startswith("    inbound ")) == 3
    key = open(os.path.join(ROOT, "build", "devcert", "dev-key.pem")).read().splitlines()[1]
    assert key not in out


def test_tls_files_ride_in_the_blob_and_the_key_stays_secret(tmp_path):
    d = tmp_path / "site"
    (d / "tls").mkdir(parents=True)
    cert, key = pair("ec")
    (d / "tls" / "fullchain.pem").write_text(cert)
    (d / "tls" / "key.pem").write_text(key)
    (d / "appliance.conf").write_text("tls {\n  certificate tls/fullchain.pem\n  key tls/key.pem\n}\n")
    blob = str(d / "blob")
    assert subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", blob]).returncode == 0
    rc, out = boot("test.poweroff log=debug", extra=["-initrd", blob])
    assert rc == EXIT_OK, out
    assert "config: |     key tls/key.pem" in out
    for line in key.splitlines()[1:-1]:
        assert line not in out
    # The same blob without its key file is refused at boot like apctl does.
    text = "tls {\n  certificate tls/fullchain.pem\n  key tls/key.pem\n}\n"
    broken = tmp_path / "broken"
    broken.write_bytes(newc([("appliance.conf", 0o100644, text.encode()),
                             ("tls/fullchain.pem", 0o100644, cert.encode())]))
    rc, out = boot("test.poweroff", extra=["-initrd", str(broken)])
    assert rc == EXIT_CONFIG
    assert ("ERROR config: appliance.conf:3:7: file 'tls/key.pem' not found (put it next to "
            "appliance.conf; apctl pack takes it into the blob)") in out


def test_key_not_matching_its_certificate_stops_the_boot_like_apctl(tmp_path):
    text = "tls {\n  certificate tls/fullchain.pem\n  key tls/key.pem\n}\n"
    (tmp_path / "tls").mkdir()
    (tmp_path / "appliance.conf").write_text(text)
    (tmp_path / "tls" / "fullchain.pem").write_text(pair("rsa")[0])
    (tmp_path / "tls" / "key.pem").write_text(pair("rsa", "other")[1])
    want = subprocess.run([APCTL, "check", str(tmp_path / "appliance.conf")], capture_output=True, text=True)
    assert want.returncode == 1 and "does not match the certificate" in want.stderr
    blob = tmp_path / "blob"
    blob.write_bytes(newc([("appliance.conf", 0o100644, text.encode()),
                           ("tls/fullchain.pem", 0o100644, pair("rsa")[0].encode()),
                           ("tls/key.pem", 0o100600, pair("rsa", "other")[1].encode())]))
    rc, out = boot("test.poweroff", extra=["-initrd", str(blob)])
    assert rc == EXIT_CONFIG, out
    assert f"ERROR config: {want.stderr.rstrip()}" in out
