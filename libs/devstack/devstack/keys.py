"""Secrets of the local stack, made once and kept under the state folder.

keys/signing.pem (mode 600): the Ed25519 key accounts signs access tokens with;
keys/jwks.json: its public half, which every service verifies tokens with;
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
from servicekit.config import Settings


@dataclass(frozen=True)
class KeyFiles:
    signing_key: Path
    jwks: Path

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


def ensure_keys(directory: Path) -> KeyFiles:
    """The signing key and its JWKS in directory, generated on first use and reused after."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = KeyFiles(directory / "signing.pem", directory / "jwks.json")
    if files.signing_key.exists():
        key = files.load_signing_key()
    else:
        key = SigningKey.generate()
        _write(files.signing_key, key.to_pem(), 0o600)
    # The public half is derived from the private key every time, so the two always agree.
    document = json.dumps(jwks(key), indent=2).encode()
    if not files.jwks.exists() or files.jwks.read_bytes() != document:
        _write(files.jwks, document, 0o644)
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
