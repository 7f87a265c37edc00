"""Writes a token-signing key pair: signing-key.pem (private, for accounts) and jwks.json.

    python deploy/tools/make_auth_keys.py OUT_DIR [--merge OLD_JWKS]

The key is Ed25519 (tokens are EdDSA, see libs/servicekit/servicekit/auth.py), its kid the
RFC 7638 thumbprint, exactly as servicekit's SigningKey computes it. --merge keeps the keys of
an existing JWKS after the new one, which is how a key is rotated (deploy/README.md): publish
the new public key to every verifier first, sign with it second, drop the old one last.
Needs only the `cryptography` package.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--merge", type=Path, help="existing jwks.json whose keys stay published")
    args = parser.parse_args()

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    keys = [public_jwk(key.public_key())]
    if args.merge:
        keys += [k for k in json.loads(args.merge.read_text())["keys"] if k["kid"] != keys[0]["kid"]]

    args.out.mkdir(parents=True, exist_ok=True)
    private = args.out / "signing-key.pem"
    private.write_bytes(pem)
    private.chmod(0o600)
    (args.out / "jwks.json").write_text(json.dumps({"keys": keys}, indent=2) + "\n")
    print(f"wrote {private} and {args.out / 'jwks.json'} (kid {keys[0]['kid']})")


if __name__ == "__main__":
    main()
