"""Users and their profiles."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from accounts.domain.users import UserStatus, login_is_email
from accounts.domain.verifications import VerificationType, verification_level
from accounts.models import User
from accounts.repository.verifications import approved_types
from servicekit.db import broken_constraint

# The unique constraints of users (named by the kit's naming convention) and the field each guards.
FIELD_BY_UNIQUE_CONSTRAINT = {
    "uq_users_email": "email",
    "uq_users_username": "username",
    "uq_users_phone": "phone",
}


@dataclass(frozen=True)
class UserView:
    """A user with their profile and the kinds of verification approved for them."""

    user: User
    verified: list[VerificationType]

    @property
    def verification_level(self) -> int:
        return verification_level(self.verified)


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


async def get_user_view(session: AsyncSession, user_id: UUID, *, for_update: bool = False) -> UserView | None:
    user = await get_user_with_profile(session, user_id, for_update=for_update)
    if user is None:
        return None
    return UserView(user, await approved_types(session, user_id))


async def find_user_by_email(session: AsyncSession, email: str, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.email == email)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose email or username is the login, compared without letter case (citext)."""
    column = User.email if login_is_email(login) else User.username
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
    return FIELD_BY_UNIQUE_CONSTRAINT.get(broken_constraint(error))


async def suspended_user_ids(session: AsyncSession) -> list[UUID]:
    return list(await session.scalars(select(User.id).where(User.status == UserStatus.SUSPENDED)))
