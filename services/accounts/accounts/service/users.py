"""Use cases of users: register (throttled per client), read and change a profile, suspend and reinstate,
ensure the admin."""

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import events
from accounts.domain import passwords
from accounts.domain.profiles import ProfileValues, profile_changes
from accounts.domain.settings import AccountsRuntimeSettings
from accounts.domain.throttling import TooManyRegistrations, wait_needed
from accounts.domain.users import (
    NewUser,
    RegistrationClosed,
    UserNotFound,
    UserStatus,
    admin_username,
    suspend,
    taken,
    validate_admin,
)
from accounts.models import OutboxEvent, Profile, User
from accounts.repository import sessions, throttling, users
from accounts.repository.users import UserView
from servicekit import audit as audit_log
from servicekit import idempotency, outbox
from servicekit.auth import Caller, Role
from servicekit.db import Database
from servicekit.geo import point_from_wkb
from servicekit.idempotency import Once


async def register(db: Database, new: NewUser, once: Once, *, client: str, settings: AccountsRuntimeSettings) -> User:
    """Registers someone, unless registration is closed or their client registered too often lately.

    Every attempt counts, refused or not, so that trying addresses to find out which are taken is
    throttled too; it is counted and committed first, so that a burst is counted exactly.
    """
    if not settings.registration_open:
        raise RegistrationClosed()
    now = _now()
    async with db.begin() as session:
        counts = await throttling.count_attempt(session, settings.throttle.registration(client), now)
        if wait := wait_needed(counts, now):
            raise TooManyRegistrations(wait)
    return await create_user(db, new, once)


async def create_user(db: Database, new: NewUser, once: Once | None = None) -> User:
    # Hashed before the transaction: the slow part should not hold a connection.
    password_hash = await passwords.hash_password(new.password)
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            if found := await users.taken_fields(session, new.email, new.username, new.phone):
                raise taken(found[0])
            user = _add_user(session, new, password_hash)
            await session.flush()
            await idempotency.complete(session, once, user)
    except IntegrityError as exc:
        # Two registrations raced past the check; the unique index decided which one lost.
        field = users.unique_violation_field(exc)
        if field is None:
            raise
        raise taken(field) from exc
    return user


def _add_user(session: AsyncSession, new: NewUser, password_hash: str) -> User:
    user = User(
        id=uuid.uuid4(),
        email=new.email,
        username=new.username,
        phone=new.phone,
        role=new.role,
        status=UserStatus.ACTIVE,
        password_hash=password_hash,
        profile=Profile(),
    )
    session.add(user)
    events.user_registered(session, user)
    return user


async def _user_view(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> UserView:
    view = await users.get_user_view(session, user_id, for_update=for_update)
    if view is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return view


async def get_me(db: Database, caller: Caller) -> UserView:
    async with db.read() as session:
        return await _user_view(session, caller.user_id)


async def get_user(db: Database, user_id: uuid.UUID) -> UserView:
    """A user with their profile; what of it is shown is the servicer's choice (PublicProfile to anyone,
    the location to trading)."""
    async with db.read() as session:
        return await _user_view(session, user_id)


async def update_me(db: Database, caller: Caller, paths: list[str], values: ProfileValues) -> UserView:
    """Changes the caller's own profile: the fields the mask names (or, without one, those sent)."""
    async with db.begin() as session:
        view = await _user_view(session, caller.user_id, for_update=True)
        profile = view.user.profile
        changes = profile_changes(paths, values, point_from_wkb(profile.location))
        for name, value in changes.items():
            if name == "location":
                value = value.to_ewkt() if value is not None else None
            setattr(profile, name, value)
        await session.flush()
        # Read back what the database stored (the point as PostGIS returns it, the new update time).
        await session.refresh(profile, ["location", "updated_at"])
    return view


async def suspend_user(db: Database, caller: Caller, user_id: uuid.UUID, reason: str) -> UserView:
    """Suspends a user and ends their sessions; every service refuses their tokens once the event reaches it.

    Suspending a suspended user changes nothing, so an admin's retry is harmless.
    """
    caller.require_admin()
    async with db.begin() as session:
        view = await _user_view(session, user_id, for_update=True)
        user = view.user
        if user.status is not UserStatus.SUSPENDED:
            before = {"status": user.status.value}
            user.status = suspend(user_id=user.id, admin_id=caller.user_id)
            await sessions.revoke_user_sessions(session, user.id, _now())
            events.user_suspended(session, user.id, reason.strip())
            after = {"status": user.status.value, "reason": reason.strip()}
            await audit_log.record(session, "user.suspended", "user", user.id, before=before, after=after)
            await session.flush()
            await session.refresh(user, ["status", "updated_at"])
    return view


async def reinstate_user(db: Database, caller: Caller, user_id: uuid.UUID) -> UserView:
    """Lets a suspended user sign in again; reinstating an active user changes nothing."""
    caller.require_admin()
    async with db.begin() as session:
        view = await _user_view(session, user_id, for_update=True)
        user = view.user
        if user.status is UserStatus.SUSPENDED:
            user.status = UserStatus.ACTIVE
            events.user_reinstated(session, user.id)
            before, after = {"status": UserStatus.SUSPENDED.value}, {"status": user.status.value}
            await audit_log.record(session, "user.reinstated", "user", user.id, before=before, after=after)
            await session.flush()
            await session.refresh(user, ["status", "updated_at"])
    return view


async def suspended_users(db: Database) -> tuple[list[uuid.UUID], str]:
    """Every suspended user, and the feed cursor after which events change that set (one snapshot)."""
    async with db.read() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        user_ids = await users.suspended_user_ids(session)
        cursor = await outbox.head_cursor(session, OutboxEvent)
    return user_ids, cursor


async def ensure_admin(db: Database, email: str, password: str) -> uuid.UUID:
    """Makes the account with this email an active admin signing in with password, creating it when missing."""
    email = email.strip()
    validate_admin(email, password)
    password_hash = await passwords.hash_password(password)
    async with db.begin() as session:
        user = await users.find_user_by_email(session, email, for_update=True)
        if user is None:
            username = await _free_username(session, admin_username(email))
            new = NewUser(email=email, username=username, password=password, phone=None, role=Role.ADMIN)
            user = _add_user(session, new, password_hash)
        else:
            user.role = Role.ADMIN
            user.status = UserStatus.ACTIVE
            user.password_hash = password_hash
            # A new password ends every session signed in with the old one.
            await sessions.revoke_user_sessions(session, user.id, _now())
    return user.id


async def _free_username(session: AsyncSession, wanted: str) -> str:
    username = wanted
    while await users.username_exists(session, username):
        username = f"{wanted[:25]}-{secrets.token_hex(2)}"
    return username


def _now() -> datetime:
    return datetime.now(UTC)
