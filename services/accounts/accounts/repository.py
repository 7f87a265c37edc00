"""Queries of accounts. Session first, never a commit."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from accounts import domain
from accounts.models import RefreshToken, User

# The unique constraints of users (named by the kit's naming convention) and the field each guards.
FIELD_BY_UNIQUE_CONSTRAINT = {
    "uq_users_email": "email",
    "uq_users_username": "username",
    "uq_users_phone": "phone",
}


async def get_user(session: AsyncSession, user_id: UUID, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def get_user_with_profile(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.scalar(select(User).options(selectinload(User.profile)).where(User.id == user_id))


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


def unique_violation_field(error: IntegrityError) -> str | None:
    """The user field whose unique constraint the failed statement broke, if it was one of them."""
    # asyncpg's UniqueViolationError (the cause of the DBAPI error) names the constraint.
    constraint = getattr(error.orig.__cause__, "constraint_name", None) if error.orig else None
    return FIELD_BY_UNIQUE_CONSTRAINT.get(constraint or "")


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
