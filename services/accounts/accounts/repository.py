"""Queries of accounts. Session first, never a commit."""

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import case, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from accounts import domain
from accounts.domain import UserStatus, VerificationStatus, VerificationType
from accounts.models import LoginFailures, RefreshToken, User, Verification
from servicekit.pagination import Page

# The unique constraints of users (named by the kit's naming convention) and the field each guards.
FIELD_BY_UNIQUE_CONSTRAINT = {
    "uq_users_email": "email",
    "uq_users_username": "username",
    "uq_users_phone": "phone",
}
PENDING_VERIFICATION = "uq_verifications_pending_user_id_type"


async def get_user(session: AsyncSession, user_id: UUID, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_user_with_profile(session: AsyncSession, user_id: UUID, *, for_update: bool = False) -> User | None:
    stmt = select(User).options(selectinload(User.profile)).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update(of=User)
    return await session.scalar(stmt)


async def find_user_by_email(session: AsyncSession, email: str, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.email == email)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose email or username is the login, compared without letter case (citext)."""
    column = User.email if domain.login_is_email(login) else User.username
    return await session.scalar(select(User).where(column == login))


async def set_password_hash(session: AsyncSession, user_id: UUID, password_hash: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


async def username_exists(session: AsyncSession, username: str) -> bool:
    return bool(await session.scalar(select(literal(True)).where(User.username == username)))


async def taken_fields(session: AsyncSession, email: str, username: str, phone: str | None) -> list[str]:
    """Which of the values another user has already, compared by the database (citext), not by Python."""
    matches = {"email": User.email == email, "username": User.username == username}
    if phone is not None:
        matches["phone"] = User.phone == phone
    stmt = select(*(func.coalesce(func.bool_or(match), False) for match in matches.values())).where(
        or_(*matches.values())
    )
    found = (await session.execute(stmt)).one()
    return [field for field, taken in zip(matches, found, strict=True) if taken]


def constraint_name(error: IntegrityError) -> str:
    """The constraint the failed statement broke; asyncpg's error (the DBAPI error's cause) names it."""
    return (getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None) or ""


def unique_violation_field(error: IntegrityError) -> str | None:
    """The user field whose unique constraint the failed statement broke, if it was one of them."""
    return FIELD_BY_UNIQUE_CONSTRAINT.get(constraint_name(error))


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token row, locked, so that two refreshes of one token take turns."""
    return await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update())


async def revoke_family(session: AsyncSession, family_id: UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_sessions(session: AsyncSession, user_id: UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def suspended_user_ids(session: AsyncSession) -> list[UUID]:
    return list(await session.scalars(select(User.id).where(User.status == UserStatus.SUSPENDED)))


# Sign-in throttling ---------------------------------------------------------------------

# Each failure deletes up to this many rows whose window is over, so the table stays small.
STALE_FAILURES_PER_FAILURE = 100


async def failure_counts(session: AsyncSession, limits: dict[str, int]) -> list[domain.FailureCount]:
    rows = await session.execute(
        select(LoginFailures.key, LoginFailures.failures, LoginFailures.window_started_at).where(
            LoginFailures.key.in_(limits)
        )
    )
    return [domain.FailureCount(failures, started, limits[key]) for key, failures, started in rows]


async def record_failures(session: AsyncSession, keys: list[str], now: datetime, window: timedelta) -> None:
    """Counts one failure for each key, in a fixed window that starts at the first failure after the last one ended."""
    current = LoginFailures.window_started_at > now - window
    stmt = insert(LoginFailures).values([{"key": key, "failures": 1, "window_started_at": now} for key in keys])
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[LoginFailures.key],
            set_={
                "failures": case((current, LoginFailures.failures + 1), else_=1),
                "window_started_at": case((current, LoginFailures.window_started_at), else_=now),
            },
        )
    )
    stale = (
        select(LoginFailures.key)
        .where(LoginFailures.window_started_at <= now - window)
        .limit(STALE_FAILURES_PER_FAILURE)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(LoginFailures).where(LoginFailures.key.in_(stale)))


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginFailures).where(LoginFailures.key == key))


# Verifications --------------------------------------------------------------------------


async def get_verification(session: AsyncSession, verification_id: UUID, *, for_update: bool = False):
    stmt = select(Verification).where(Verification.id == verification_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def verification_statuses(
    session: AsyncSession, user_id: UUID, type_: VerificationType
) -> list[VerificationStatus]:
    stmt = select(Verification.status).where(Verification.user_id == user_id, Verification.type == type_)
    return list(await session.scalars(stmt))


async def approved_types(session: AsyncSession, user_id: UUID) -> list[VerificationType]:
    stmt = (
        select(Verification.type)
        .where(Verification.user_id == user_id, Verification.status == VerificationStatus.APPROVED)
        .distinct()
        .order_by(Verification.type)
    )
    return list(await session.scalars(stmt))


async def list_verifications(
    session: AsyncSession, page: Page, *, user_id: UUID | None, status: VerificationStatus | None
) -> list[Verification]:
    stmt = select(Verification)
    if user_id is not None:
        stmt = stmt.where(Verification.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Verification.status == status)
    if after := page.after_key(datetime, UUID):
        stmt = stmt.where(tuple_(Verification.submitted_at, Verification.id) < tuple_(*after))
    stmt = stmt.order_by(Verification.submitted_at.desc(), Verification.id.desc()).limit(page.size + 1)
    return list(await session.scalars(stmt))
