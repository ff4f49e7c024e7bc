"""Every example in examples/ checks clean (but for the warnings it means to
have: social's login without tls), packs, and boots the image into
the appliance it describes (the effective config on the console is the one
apctl shows). With a certificate made here, the same example packs with
TLS too."""
import os
import shutil
import subprocess

import pytest

from qemu import EXIT_OK, ROOT, boot

APCTL = os.path.join(ROOT, "build", "apctl")
EXAMPLES = sorted(d for d in os.listdir(os.path.join(ROOT, "examples"))
                  if os.path.isfile(os.path.join(ROOT, "examples", d, "appliance.conf")))
NET = ["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"]
# Warnings an example is meant to have: social logs in over plain http, as
# it ships no certificate, until its deployer adds a tls section.
WARNINGS = {"social": ["warning: login route /login without a tls section: "]}


def apctl(*args):
    return subprocess.run([APCTL, *args], capture_output=True, text=True)


def effective(out):
    return [l.split("config: | ", 1)[1] for l in out.splitlines() if "config: | " in l]


def test_there_are_a_site_and_an_api():
    assert {"static-site", "api"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_packs_and_boots(tmp_path, name):
    conf = os.path.join(ROOT, "examples", name, "appliance.conf")
    r = apctl("check", conf)
    warned = r.stderr.splitlines()
    assert r.returncode == 0 and len(warned) == len(WARNINGS.get(name, [])), r.stderr   # no others
    assert all(w.startswith(want) for w, want in zip(warned, WARNINGS.get(name, []))), r.stderr
    blob = str(tmp_path / "blob")
    assert apctl("pack", conf, "-o", blob).returncode == 0
    shown = apctl("show", blob)
    assert shown.returncode == 0
    rc, out = boot("test.poweroff=1000", extra=["-initrd", blob] + NET)
    assert rc == EXIT_OK, out
    assert effective(out) == shown.stdout.rstrip("\n").split("\n")
    assert out.count("WARN  config") == len(warned), out


def test_example_with_a_real_certificate(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(os.path.join(ROOT, "examples", "static-site"), site)
    (site / "tls").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=example.test", "-keyout", str(site / "tls" / "key.pem"),
                    "-out", str(site / "tls" / "cert.pem")], check=True, capture_output=True)
    text = (site / "appliance.conf").read_text()
    (site / "appliance.conf").write_text(text + "tls {\n    certificate tls/cert.pem\n    key tls/key.pem\n}\n")
    blob = str(tmp_path / "blob")
    r = apctl("pack", str(site / "appliance.conf"), "-o", blob)
    assert r.returncode == 0 and "6 files" in r.stdout, r.stdout + r.stderr
    key_body = (site / "tls" / "key.pem").read_text().splitlines()[1]
    rc, out = boot("test.poweroff=500 log=debug", extra=["-initrd", blob] + NET)
    assert rc == EXIT_OK, out
    assert "config: |     key tls/key.pem" in out and key_body not in out


def test_social_with_a_tls_section_checks_clean(tmp_path):
    """social's one warning is the missing tls section: with one, none."""
    social = tmp_path / "social"
    shutil.copytree(os.path.join(ROOT, "examples", "social"), social)
    (social / "tls").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "1", "-subj", "/CN=example.test", "-keyout", str(social / "tls" / "key.pem"),
                    "-out", str(social / "tls" / "cert.pem")], check=True, capture_output=True)
    text = (social / "appliance.conf").read_text()
    (social / "appliance.conf").write_text(text + "tls {\n    certificate tls/cert.pem\n    key tls/key.pem\n}\n")
    r = apctl("check", str(social / "appliance.conf"))
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
