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
import json
from pathlib import Path

from ed25519_jwk import new_key_pair, published, write_json, write_private


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--merge", type=Path, help="existing jwks.json whose keys stay published")
    args = parser.parse_args()

    pem, jwk = new_key_pair()
    keys = published([jwk], json.loads(args.merge.read_text())["keys"] if args.merge else [])

    args.out.mkdir(parents=True, exist_ok=True)
    private = args.out / "signing-key.pem"
    write_private(private, pem)
    write_json(args.out / "jwks.json", {"keys": keys})
    print(f"wrote {private} and {args.out / 'jwks.json'} (kid {jwk['kid']})")


if __name__ == "__main__":
    main()
