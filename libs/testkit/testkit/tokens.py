"""Access tokens signed with the test run's key, for tests that need a caller of a given role."""

import uuid
from datetime import UTC, datetime, timedelta

from servicekit.auth import Role, SigningKey, access_token_claims

ISSUER = "marketplace-accounts"
AUDIENCE = "marketplace"


def mint(
    key: SigningKey,
    user_id: uuid.UUID | None = None,
    role: Role = Role.BOTH,
    *,
    ttl: timedelta = timedelta(minutes=15),
    audience: str = AUDIENCE,
    now: datetime | None = None,
) -> str:
    claims = access_token_claims(
        user_id or uuid.uuid4(), role, issuer=ISSUER, audience=audience, now=now or datetime.now(UTC), ttl=ttl
    )
    return key.sign(claims)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """gRPC metadata carrying the token."""
    return (("authorization", f"Bearer {token}"),)
