"""Sessions: who may sign in, the tokens a session is made of, and how a refresh token rotates.

Access tokens are EdDSA JWTs that every service verifies itself. Refresh tokens are random
strings returned once; only their SHA-256 is stored, which is enough for a 256-bit random
value (there is nothing to guess, so no salt or slow hash).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from accounts.domain.users import UserStatus
from servicekit.auth import Role, SigningKey, access_token_claims
from servicekit.errors import PermissionDenied, Unauthenticated


class InvalidCredentials(Unauthenticated):
    reason = "INVALID_CREDENTIALS"

    def __init__(self) -> None:
        # One message for an unknown login and a wrong password: neither is revealed.
        super().__init__("the login or the password is wrong")


class UserSuspended(PermissionDenied):
    reason = "USER_SUSPENDED"

    def __init__(self) -> None:
        super().__init__("this account is suspended")


class RefreshTokenInvalid(Unauthenticated):
    reason = "REFRESH_TOKEN_INVALID"


class RefreshTokenReused(Unauthenticated):
    reason = "REFRESH_TOKEN_REUSED"

    def __init__(self) -> None:
        super().__init__("this refresh token was used before; every token of its session is revoked, sign in again")


def require_active(status: UserStatus) -> None:
    """Only an active account signs in or refreshes its session."""
    if status is not UserStatus.ACTIVE:
        raise UserSuspended()


@dataclass(frozen=True)
class RefreshTokenState:
    """What the rotation rule needs to know about a presented refresh token."""

    expires_at: datetime
    rotated_at: datetime | None  # when it was exchanged for a new pair, if it was
    live: bool  # it works, or (once rotated) another token of its sign-in does


def check_refresh(token: RefreshTokenState | None, now: datetime, grace: timedelta) -> None:
    """Raises unless the token may be exchanged for a new pair.

    A token that was rotated and comes back within `grace` of its rotation is a client retrying a
    refresh whose answer it lost: it gets a new pair too, a sibling of the first in its family, while
    its sign-in stands. Later, it is the sign of a stolen copy; the caller revokes its family
    (RFC 6819 5.2.2.3, OAuth 2.0 Security BCP 4.14).
    """
    if token is None:
        raise RefreshTokenInvalid("the refresh token is not valid")
    if token.rotated_at is not None and now - token.rotated_at > grace:
        raise RefreshTokenReused()
    if token.expires_at <= now:
        raise RefreshTokenInvalid("the refresh token has expired; sign in again")
    if not token.live:
        raise RefreshTokenInvalid("the refresh token was revoked; sign in again")


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
    """Signs access tokens with the current key, publishes every key still trusted, and says how long
    the tokens it hands out last."""

    def __init__(
        self,
        signing_key: SigningKey,
        *,
        issuer: str,
        audience: str,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        refresh_reuse_grace: timedelta,
        published_keys: list[dict] | None = None,
    ) -> None:
        self._signing_key = signing_key
        self._issuer = issuer
        self._audience = audience
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        # How long a rotated refresh token may come back as a retry (check_refresh).
        self.refresh_reuse_grace = refresh_reuse_grace
        self._published_keys = published_keys or []

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
