"""Ed25519 key pairs as servicekit reads them: the private key as PKCS#8 PEM, the public key as a JWK.

Shared by make_auth_keys.py and make_service_keys.py. The JWK is exactly servicekit's
SigningKey.public_jwk (libs/servicekit/servicekit/auth.py): kty OKP, crv Ed25519, x, kid the
RFC 7638 thumbprint, use sig, alg EdDSA. Needs only the `cryptography` package.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    required = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return {**required, "kid": b64url(hashlib.sha256(canonical).digest()), "use": "sig", "alg": "EdDSA"}


def new_key_pair() -> tuple[bytes, dict[str, str]]:
    """A fresh private key as PEM and its public JWK."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, public_jwk(key.public_key())


def write_private(path: Path, pem: bytes) -> None:
    # Created with mode 600, so the key is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    path.chmod(0o600)


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n")


def published(new: list[dict], old: list[dict]) -> list[dict]:
    """The new keys first (the one signing), then the old ones that stay trusted until dropped."""
    kids = {k["kid"] for k in new}
    return [*new, *(k for k in old if k["kid"] not in kids)]
