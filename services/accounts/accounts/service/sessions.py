"""Use cases of sessions: sign in (throttled), refresh with rotation, sign out."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.domain import passwords
from accounts.domain.sessions import (
    InvalidCredentials,
    IssuedSession,
    RefreshTokenReused,
    RefreshTokenState,
    TokenIssuer,
    check_refresh,
    new_refresh_token,
    refresh_token_hash,
    require_active,
)
from accounts.domain.throttling import (
    ThrottlePolicy,
    TooManyFailedSignIns,
    account_throttle_key,
    pair_throttle_key,
    wait_needed,
)
from accounts.domain.users import UserStatus
from accounts.models import RefreshToken, User
from accounts.repository import sessions, throttling, users
from servicekit.db import Database


async def create_session(
    db: Database, issuer: TokenIssuer, login: str, password: str, *, client: str, throttle: ThrottlePolicy
) -> IssuedSession:
    """Signs in, unless the account from this client, the client, or the account from anywhere failed too
    often lately (domain.throttling.ThrottlePolicy).

    The attempt is counted, and committed, before its password is checked, so that of many at once only
    those within the limits are checked; a refused one is not counted. A wrong password leaves it
    counted; the right one takes it back and clears the pair's count. The counters live in the
    database, so every replica shares them.
    """
    login = login.strip()
    async with db.read() as session:
        user = await users.find_user_by_login(session, login)
    account = account_throttle_key(user.id if user else None, login)
    limits = throttle.sign_in(account, client)
    now = _now()
    async with db.begin() as session:
        counts = await throttling.count_attempt(session, limits, now)
        if wait := wait_needed(counts, now):
            raise TooManyFailedSignIns(wait)  # rolled back: a refused attempt does not count
    if user is None:
        await passwords.burn_verification(password)
        valid = False
    else:
        valid = await passwords.verify_password(user.password_hash, password)
    if not valid:
        async with db.begin() as session:
            await throttling.delete_stale(session, now - throttle.longest_window)
        raise InvalidCredentials()
    # Parameters were raised since this hash was made: store a stronger one while we know the password.
    new_hash = await passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    async with db.begin() as session:
        await throttling.forgive(session, list(limits), reset=pair_throttle_key(account, client))
        if user.status is UserStatus.ACTIVE:
            if new_hash:
                await users.set_password_hash(session, user.id, new_hash)
            issued, _ = await _issue(session, issuer, user, family_id=uuid.uuid4(), now=_now())
    # After the commit: the right password is forgiven even when the account may not sign in.
    require_active(user.status)
    return issued


async def _issue(
    session: AsyncSession, issuer: TokenIssuer, user: User, *, family_id: uuid.UUID, now: datetime
) -> tuple[IssuedSession, RefreshToken]:
    refresh_token = new_refresh_token()
    row = RefreshToken(
        id=uuid.uuid4(),
        token_hash=refresh_token_hash(refresh_token),
        family_id=family_id,
        user_id=user.id,
        created_at=now,
        expires_at=now + issuer.refresh_ttl,
    )
    session.add(row)
    # Inserted now: the token it replaces will point at it with a foreign key.
    await session.flush()
    issued = IssuedSession(
        user_id=user.id,
        access_token=issuer.access_token(user.id, user.role, now),
        expires_in=int(issuer.access_ttl.total_seconds()),
        refresh_token=refresh_token,
    )
    return issued, row


async def refresh_session(db: Database, issuer: TokenIssuer, refresh_token: str) -> IssuedSession:
    """A new pair for a refresh token, which stops working: rotation. The same token again within
    the issuer's grace is a retry and gets a sibling pair; after it, reuse revokes the whole family."""
    now = _now()
    reused: RefreshTokenReused | None = None
    async with db.begin() as session:
        token = await sessions.find_refresh_token(session, refresh_token_hash(refresh_token))
        try:
            check_refresh(await _refresh_state(session, token, now), now, issuer.refresh_reuse_grace)
        except RefreshTokenReused as exc:
            # Raised only after the commit below, so that the family stays revoked.
            await sessions.revoke_family(session, token.family_id, now)
            reused = exc
        else:
            user = await users.get_user(session, token.user_id)
            require_active(user.status)
            issued, replacement = await _issue(session, issuer, user, family_id=token.family_id, now=now)
            if token.replaced_by is None:
                token.revoked_at = now
                token.replaced_by = replacement.id
    if reused:
        raise reused
    return issued


async def _refresh_state(session: AsyncSession, token: RefreshToken | None, now: datetime) -> RefreshTokenState | None:
    if token is None:
        return None
    if token.replaced_by is None:
        return RefreshTokenState(token.expires_at, rotated_at=None, live=token.revoked_at is None)
    # Rotated: revoked when it was replaced, and live while its sign-in is.
    live = await sessions.family_is_live(session, token.family_id, now)
    return RefreshTokenState(token.expires_at, rotated_at=token.revoked_at, live=live)


async def revoke_session(db: Database, refresh_token: str) -> None:
    """Signs out: the token and every token rotated from the same sign-in stop working."""
    async with db.begin() as session:
        token = await sessions.find_refresh_token(session, refresh_token_hash(refresh_token))
        if token is not None:
            await sessions.revoke_family(session, token.family_id, _now())


def _now() -> datetime:
    return datetime.now(UTC)
