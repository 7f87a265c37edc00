"""Secrets of the local stack, made once and kept under the state folder.

keys/signing.pem (mode 600): the Ed25519 key accounts signs access tokens with;
keys/jwks.json: its public half, which every service verifies tokens with;
keys/services/<service>.pem (mode 600): each service's own key, its identity towards the others;
keys/service-keys.json: their public halves by service, which every service trusts;
admin-password (mode 600): the admin's password when ADMIN_PASSWORD is not set.
"""

import json
import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from servicekit.auth import Role, SigningKey, access_token_claims, jwks
from servicekit.config import CONTEXTS, Settings
from servicekit.identity import ServiceIdentity


@dataclass(frozen=True)
class KeyFiles:
    signing_key: Path
    jwks: Path
    service_keys: Path

    def service_key(self, service: str) -> Path:
        return self.service_keys.parent / "services" / f"{service}.pem"

    def service_token(self, service: str, audience: str) -> str:
        """A token that proves to `audience` that the caller is `service` (for grpcurl and benchmarks)."""
        return ServiceIdentity.from_file(service, self.service_key(service)).token_for(audience)

    def token(self, user_id: uuid.UUID, role: Role, ttl: timedelta = timedelta(minutes=30)) -> str:
        """An access token signed with these keys, with the issuer and audience services expect."""
        defaults = Settings(service="devstack", database_url="", grpc_port=0)
        claims = access_token_claims(
            user_id, role, issuer=defaults.auth_issuer, audience=defaults.auth_audience, now=datetime.now(UTC), ttl=ttl
        )
        return self.load_signing_key().sign(claims)

    def load_signing_key(self) -> SigningKey:
        return SigningKey.from_pem(self.signing_key.read_bytes())


def _write(path: Path, data: bytes, mode: int) -> None:
    """Writes through a temporary file and a rename, so no reader ever sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def _ensure_key(path: Path) -> SigningKey:
    if path.exists():
        return SigningKey.from_pem(path.read_bytes())
    key = SigningKey.generate()
    _write(path, key.to_pem(), 0o600)
    return key


def _write_if_changed(path: Path, document: dict) -> None:
    data = json.dumps(document, indent=2).encode()
    if not path.exists() or path.read_bytes() != data:
        _write(path, data, 0o644)


def ensure_keys(directory: Path) -> KeyFiles:
    """The token signing key, the service keys and their public halves in directory, generated on
    first use and reused after. The public halves are derived from the private keys every time,
    so the two always agree."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    (directory / "services").mkdir(exist_ok=True, mode=0o700)
    files = KeyFiles(directory / "signing.pem", directory / "jwks.json", directory / "service-keys.json")
    _write_if_changed(files.jwks, jwks(_ensure_key(files.signing_key)))
    service_keys = {service: _ensure_key(files.service_key(service)) for service in CONTEXTS}
    _write_if_changed(files.service_keys, {service: jwks(key) for service, key in service_keys.items()})
    return files


def admin_password(state_dir: Path, environ: Mapping[str, str] = os.environ) -> str:
    """ADMIN_PASSWORD when set; else the password kept in state_dir/admin-password, made on first use."""
    given = environ.get("ADMIN_PASSWORD")
    if given:
        return given
    path = state_dir / "admin-password"
    if path.exists():
        kept = path.read_text().strip()
        if kept:
            return kept
    state_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    _write(path, f"{password}\n".encode(), 0o600)
    return password
