"""Writes the services' identities: <service>.pem (each service's private key) and service-keys.json.

    python deploy/tools/make_service_keys.py OUT_DIR [--merge OLD_SERVICE_KEYS_JSON] [--service NAME ...]

service-keys.json is what every service trusts (SERVICE_KEYS_FILE, libs/servicekit/servicekit/
identity.py): `{"catalog": {"keys": [JWK, ...]}, ...}`, one JWKS per service. --merge keeps the
public keys of an existing service-keys.json after the new ones, which is how a key is rotated
(deploy/README.md, "Service identities"): publish the new public key beside the old, switch the
service to its new private key, then drop the old public key. --service makes new keys for the
named services only and takes every other service's keys from --merge unchanged.
Needs only the `cryptography` package.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ed25519_jwk import new_key_pair, published, write_json, write_private

# servicekit.config.CONTEXTS (not imported: this tool needs only `cryptography`).
SERVICES = ("catalog", "accounts", "trading", "messaging")


def old_keys(path: Path) -> dict[str, list[dict]]:
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or not all(isinstance(v, dict) and "keys" in v for v in document.values()):
        raise SystemExit(f'{path}: not a service-keys.json ({{"<service>": {{"keys": [...]}}, ...}})')
    return {service: jwks["keys"] for service, jwks in document.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--merge", type=Path, help="existing service-keys.json whose keys stay published")
    parser.add_argument(
        "--service", action="append", choices=SERVICES, help="only this service gets a new key (repeatable)"
    )
    args = parser.parse_args()
    if args.service and not args.merge:
        parser.error("--service needs --merge: the other services' keys come from there")

    old = old_keys(args.merge) if args.merge else {}
    renewed = args.service or SERVICES
    missing = [s for s in SERVICES if s not in renewed and s not in old]
    if missing:
        parser.error(f"{args.merge} has no keys for {', '.join(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    keys = dict(old)
    for service in renewed:
        pem, jwk = new_key_pair()
        write_private(args.out / f"{service}.pem", pem)
        keys[service] = published([jwk], old.get(service, []))
        print(f"wrote {args.out / f'{service}.pem'} (kid {jwk['kid']})")
    write_json(args.out / "service-keys.json", {service: {"keys": keys[service]} for service in keys})
    print(f"wrote {args.out / 'service-keys.json'}")


if __name__ == "__main__":
    main()
