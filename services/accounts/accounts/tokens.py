"""The tokens accounts hands out: signed access tokens and opaque refresh tokens.

Access tokens are EdDSA JWTs that every service verifies itself. Refresh tokens
are random strings returned once; only their SHA-256 is stored, which is enough
for a 256-bit random value (there is nothing to guess, so no salt or slow hash).
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from servicekit.auth import Role, SigningKey, access_token_claims
from servicekit.config import MissingSetting, Settings, env

DEFAULT_ACCESS_TTL = timedelta(minutes=15)
DEFAULT_REFRESH_TTL = timedelta(days=30)


@dataclass(frozen=True)
class IssuedSession:
    """What a client gets at sign-in and at each refresh."""

    user_id: UUID
    access_token: str
    expires_in: int
    refresh_token: str


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenIssuer:
    """Signs access tokens with the current key and publishes every key still trusted."""

    def __init__(
        self,
        signing_key: SigningKey,
        *,
        issuer: str,
        audience: str,
        access_ttl: timedelta = DEFAULT_ACCESS_TTL,
        refresh_ttl: timedelta = DEFAULT_REFRESH_TTL,
        published_keys: list[dict] | None = None,
    ) -> None:
        self._signing_key = signing_key
        self._issuer = issuer
        self._audience = audience
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._published_keys = published_keys or []

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenIssuer":
        if settings.auth_signing_key_file is None:
            raise MissingSetting(
                "environment variable AUTH_SIGNING_KEY_FILE is required: accounts signs tokens with it"
            )
        # The JWKS file may list older keys beside the current one: publishing them lets
        # tokens signed before a key roll-over keep working until they expire.
        published = json.loads(settings.auth_jwks_file.read_text())["keys"] if settings.auth_jwks_file else []
        return cls(
            SigningKey.from_pem(settings.auth_signing_key_file.read_bytes()),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            access_ttl=timedelta(seconds=int(env("ACCESS_TOKEN_TTL_SECONDS", "900"))),
            refresh_ttl=timedelta(seconds=int(env("REFRESH_TOKEN_TTL_SECONDS", str(30 * 24 * 3600)))),
            published_keys=published,
        )

    def access_token(self, user_id: UUID, role: Role, now: datetime) -> str:
        claims = access_token_claims(
            user_id, role, issuer=self._issuer, audience=self._audience, now=now, ttl=self.access_ttl
        )
        return self._signing_key.sign(claims)

    def public_keys(self) -> list[dict]:
        """The signing key's public JWK first, then the other published keys."""
        keys = [self._signing_key.public_jwk]
        keys += [key for key in self._published_keys if key.get("kid") != self._signing_key.kid]
        return keys
