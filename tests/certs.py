"""Test helper: real certificates and keys made with openssl (Debian's),
cached per kind for the test session. Nothing here is a secret: the keys
live in a temporary directory and die with it."""
import functools
import os
import subprocess
import tempfile

_DIR = tempfile.mkdtemp(prefix="appliance-certs-")

KINDS = {
    "ec": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "rsa": ["-newkey", "rsa:2048"],
    "rsa1024": ["-newkey", "rsa:1024"],
}


@functools.lru_cache(maxsize=None)
def pair(kind="ec", name="a"):
    """(certificate PEM, private key PEM) as text; kind in KINDS; a different
    name gives a different key of the same kind."""
    cert = os.path.join(_DIR, f"{kind}-{name}.crt")
    key = os.path.join(_DIR, f"{kind}-{name}.key")
    subprocess.run(["openssl", "req", "-x509", *KINDS[kind], "-nodes", "-days", "2", "-subj",
                    f"/CN={name}.test", "-addext", f"subjectAltName=DNS:{name}.test",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    with open(cert) as c, open(key) as k:
        return c.read(), k.read()
