"""Minting JSON Web Tokens for the tests and benchmarks (the role of an
external identity provider): HS256 with a shared secret and ES256 with a
P-256 key pair made here (python3-cryptography). Also the stored password
hash format the appliance uses, so tests can seed users directly."""
import base64
import hashlib
import hmac
import json
import os
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _signing_input(header, claims):
    return (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
            b64url(json.dumps(claims, separators=(",", ":")).encode()))


def claims(sub, role=None, ttl=3600, **extra):
    """Typical claims: sub, role, iat, exp (ttl seconds from now)."""
    now = int(time.time())
    c = {"sub": sub, "iat": now, "exp": now + ttl}
    if role is not None:
        c["role"] = role
    c.update(extra)
    return c


def hs256(secret, body, kid=None, header=None):
    h = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    if kid:
        h = dict(h, kid=kid)
    si = _signing_input(h, body)
    sig = hmac.new(secret, si.encode(), hashlib.sha256).digest()
    return si + "." + b64url(sig)


class P256:
    """A P-256 key pair; .public_pem() is what an es256 jwt-key takes."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())

    def public_pem(self):
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)

    def write_public(self, path):
        with open(path, "wb") as f:
            f.write(self.public_pem())
        return path

    def es256(self, body, kid=None, header=None):
        h = header if header is not None else {"alg": "ES256", "typ": "JWT"}
        if kid:
            h = dict(h, kid=kid)
        si = _signing_input(h, body)
        r, s = decode_dss_signature(self.key.sign(si.encode(), ec.ECDSA(hashes.SHA256())))
        return si + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def unsigned(body):
    """alg "none": must always be refused."""
    return _signing_input({"alg": "none", "typ": "JWT"}, body) + "."


def password_hash(password, iterations=600000, salt=None):
    """The appliance's stored form: pbkdf2-sha256$ITER$SALT$HASH (standard
    base64 without padding), as docs/auth.md describes."""
    salt = salt if salt is not None else os.urandom(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    enc = lambda b: base64.b64encode(b).decode().rstrip("=")
    return f"pbkdf2-sha256${iterations}${enc(salt)}${enc(dk)}"
