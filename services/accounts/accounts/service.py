"""Use cases of accounts: one function per action; the end of `db.begin()` is the commit."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import domain, passwords, repository
from accounts.models import OutboxEvent, Profile, RefreshToken, User, Verification
from accounts.tokens import IssuedSession, TokenIssuer, new_refresh_token, refresh_token_hash
from marketplace.accounts.v1 import events_pb2, resources_pb2
from servicekit import enums, idempotency, outbox
from servicekit.auth import Caller, Role
from servicekit.db import Database
from servicekit.errors import PermissionDenied
from servicekit.geo import point_from_wkb
from servicekit.idempotency import Once
from servicekit.pagination import Page, page_result
from servicekit.suspensions import REINSTATED, SUSPENDED


def _now() -> datetime:
    return datetime.now(UTC)


async def create_user(db: Database, new: domain.NewUser, once: Once | None = None) -> User:
    # Hashed before the transaction: the slow part should not hold a connection.
    password_hash = await passwords.hash_password(new.password)
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            if taken := await repository.taken_fields(session, new.email, new.username, new.phone):
                raise domain.taken(taken[0])
            user = _add_user(session, new, password_hash)
            await session.flush()
            await idempotency.complete(session, once, user)
    except IntegrityError as exc:
        # Two registrations raced past the check; the unique index decided which one lost.
        field = repository.unique_violation_field(exc)
        if field is None:
            raise
        raise domain.taken(field) from exc
    return user


def _add_user(session: AsyncSession, new: domain.NewUser, password_hash: str) -> User:
    user = User(
        id=uuid.uuid4(),
        email=new.email,
        username=new.username,
        phone=new.phone,
        role=new.role,
        status=domain.UserStatus.ACTIVE,
        password_hash=password_hash,
        profile=Profile(),
    )
    session.add(user)
    registered = events_pb2.UserRegistered(
        user_id=str(user.id), username=user.username, role=enums.to_proto(resources_pb2.Role, user.role)
    )
    outbox.add(session, OutboxEvent, "accounts.user.registered", user.id, registered)
    return user


async def create_session(
    db: Database,
    issuer: TokenIssuer,
    login: str,
    password: str,
    *,
    client: str = "unknown",
    throttle: domain.ThrottlePolicy = domain.DEFAULT_THROTTLE,
) -> IssuedSession:
    """Signs in, unless the account (or login) or the client failed too often lately.

    The counters live in the database, so every replica sees the same ones; a throttled
    attempt is refused before its password is checked, and is not counted again.
    """
    login = login.strip()
    now = _now()
    async with db.read() as session:
        user = await repository.find_user_by_login(session, login)
        account_key = domain.account_throttle_key(user.id if user else None, login)
        client_key = domain.client_throttle_key(client)
        counts = await repository.failure_counts(
            session, {account_key: throttle.per_account, client_key: throttle.per_client}
        )
    domain.check_throttle(counts, throttle, now)
    if user is None:
        await passwords.burn_verification(password)
        valid = False
    else:
        valid = await passwords.verify_password(user.password_hash, password)
    if not valid:
        async with db.begin() as session:
            await repository.record_failures(session, [account_key, client_key], now, throttle.window)
        raise domain.InvalidCredentials()
    domain.require_active(user.status)
    # Parameters were raised since this hash was made: store a stronger one while we know the password.
    new_hash = await passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    async with db.begin() as session:
        if new_hash:
            await repository.set_password_hash(session, user.id, new_hash)
        await repository.clear_failures(session, account_key)
        issued, _ = await _issue(session, issuer, user, family_id=uuid.uuid4(), now=_now())
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
    now = _now()
    reused: domain.RefreshTokenReused | None = None
    async with db.begin() as session:
        token = await repository.find_refresh_token(session, refresh_token_hash(refresh_token))
        try:
            domain.check_refresh(_refresh_state(token), now)
        except domain.RefreshTokenReused as exc:
            # Raised only after the commit below, so that the family stays revoked.
            await repository.revoke_family(session, token.family_id, now)
            reused = exc
        else:
            user = await repository.get_user(session, token.user_id)
            domain.require_active(user.status)
            issued, replacement = await _issue(session, issuer, user, family_id=token.family_id, now=now)
            token.revoked_at = now
            token.replaced_by = replacement.id
    if reused:
        raise reused
    return issued


def _refresh_state(token: RefreshToken | None) -> domain.RefreshTokenState | None:
    if token is None:
        return None
    return domain.RefreshTokenState(
        expires_at=token.expires_at, revoked=token.revoked_at is not None, rotated=token.replaced_by is not None
    )


async def revoke_session(db: Database, refresh_token: str) -> None:
    """Signs out: the token and every token rotated from the same sign-in stop working."""
    async with db.begin() as session:
        token = await repository.find_refresh_token(session, refresh_token_hash(refresh_token))
        if token is not None:
            await repository.revoke_family(session, token.family_id, _now())


@dataclass(frozen=True)
class UserView:
    """A user with their profile and the kinds of verification approved for them."""

    user: User
    verified: list[domain.VerificationType]

    @property
    def verification_level(self) -> int:
        return domain.verification_level(self.verified)


async def _user_view(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> UserView:
    user = await repository.get_user_with_profile(session, user_id, for_update=for_update)
    if user is None:
        raise domain.UserNotFound(f"user {user_id} does not exist")
    return UserView(user, await repository.approved_types(session, user_id))


async def get_me(db: Database, caller: Caller) -> UserView:
    async with db.read() as session:
        return await _user_view(session, caller.user_id)


async def get_user(db: Database, user_id: uuid.UUID) -> UserView:
    """Anyone's public profile; what of it is shown is the servicer's choice (PublicProfile)."""
    async with db.read() as session:
        return await _user_view(session, user_id)


async def update_me(db: Database, caller: Caller, paths: list[str], values: domain.ProfileValues) -> UserView:
    """Changes the caller's own profile: the fields the mask names (or, without one, those sent)."""
    async with db.begin() as session:
        view = await _user_view(session, caller.user_id, for_update=True)
        profile = view.user.profile
        changes = domain.profile_changes(paths, values, point_from_wkb(profile.location))
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
        if user.status is not domain.UserStatus.SUSPENDED:
            user.status = domain.suspend(user_id=user.id, admin_id=caller.user_id)
            await repository.revoke_user_sessions(session, user.id, _now())
            event = events_pb2.UserSuspended(user_id=str(user.id), reason=reason.strip())
            outbox.add(session, OutboxEvent, SUSPENDED, user.id, event)
            await session.flush()
            await session.refresh(user, ["status", "updated_at"])
    return view


async def reinstate_user(db: Database, caller: Caller, user_id: uuid.UUID) -> UserView:
    """Lets a suspended user sign in again; reinstating an active user changes nothing."""
    caller.require_admin()
    async with db.begin() as session:
        view = await _user_view(session, user_id, for_update=True)
        user = view.user
        if user.status is domain.UserStatus.SUSPENDED:
            user.status = domain.UserStatus.ACTIVE
            outbox.add(session, OutboxEvent, REINSTATED, user.id, events_pb2.UserReinstated(user_id=str(user.id)))
            await session.flush()
            await session.refresh(user, ["status", "updated_at"])
    return view


async def suspended_users(db: Database) -> tuple[list[uuid.UUID], str]:
    """Every suspended user, and the feed cursor after which events change that set (one snapshot)."""
    async with db.read() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        user_ids = await repository.suspended_user_ids(session)
        cursor = await outbox.head_cursor(session, OutboxEvent)
    return user_ids, cursor


# Verifications --------------------------------------------------------------------------


async def create_verification(
    db: Database, caller: Caller, new: domain.NewVerification, once: Once | None = None
) -> Verification:
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            if await repository.get_user(session, caller.user_id) is None:
                raise domain.UserNotFound(f"user {caller.user_id} does not exist")
            domain.check_new_verification(
                new.type, await repository.verification_statuses(session, caller.user_id, new.type)
            )
            verification = Verification(
                id=uuid.uuid4(),
                user_id=caller.user_id,
                type=new.type,
                status=domain.VerificationStatus.PENDING,
                data=new.data,
                rejection_reason="",
            )
            session.add(verification)
            await session.flush()
            await session.refresh(verification)
            await idempotency.complete(session, once, verification)
    except IntegrityError as exc:
        # Two requests raced past the check; the partial unique index kept one pending.
        if repository.constraint_name(exc) != repository.PENDING_VERIFICATION:
            raise
        raise domain.VerificationPending(f"a {new.type.value} verification is waiting for review already") from exc
    return verification


async def list_verifications(
    db: Database,
    caller: Caller,
    page: Page,
    *,
    user_id: uuid.UUID | None,
    status: domain.VerificationStatus | None,
) -> tuple[list[Verification], str]:
    """Admins see anyone's (all by default); others only their own."""
    if not caller.is_admin:
        if user_id not in (None, caller.user_id):
            raise PermissionDenied("only admins list other users' verifications")
        user_id = caller.user_id
    async with db.read() as session:
        rows = await repository.list_verifications(session, page, user_id=user_id, status=status)
    return page_result(rows, page, key=lambda row: (row.submitted_at, row.id))


async def review_verification(
    db: Database, caller: Caller, verification_id: uuid.UUID, *, approve: bool, reason: str = ""
) -> Verification:
    caller.require_admin()
    async with db.begin() as session:
        verification = await repository.get_verification(session, verification_id, for_update=True)
        if verification is None:
            raise domain.VerificationNotFound(f"verification {verification_id} does not exist")
        verification.status = domain.review(
            verification.status,
            owner_id=verification.user_id,
            reviewer_id=caller.user_id,
            approve=approve,
            reason=reason,
        )
        verification.reviewer_id = caller.user_id
        verification.decided_at = _now()
        verification.rejection_reason = "" if approve else reason.strip()
        await session.flush()
        level = domain.verification_level(await repository.approved_types(session, verification.user_id))
        reviewed = events_pb2.VerificationReviewed(
            verification_id=str(verification.id),
            user_id=str(verification.user_id),
            type=enums.to_proto(resources_pb2.VerificationType, verification.type),
            status=enums.to_proto(resources_pb2.VerificationStatus, verification.status),
            verification_level=level,
        )
        outbox.add(session, OutboxEvent, "accounts.verification.reviewed", verification.id, reviewed)
        await session.refresh(verification)
    return verification


async def ensure_admin(db: Database, email: str, password: str) -> uuid.UUID:
    """Makes the account with this email an active admin signing in with password, creating it when missing."""
    email = email.strip()
    domain.validate_admin(email, password)
    password_hash = await passwords.hash_password(password)
    async with db.begin() as session:
        user = await repository.find_user_by_email(session, email, for_update=True)
        if user is None:
            username = await _free_username(session, domain.admin_username(email))
            new = domain.NewUser(email=email, username=username, password=password, phone=None, role=Role.ADMIN)
            user = _add_user(session, new, password_hash)
        else:
            user.role = Role.ADMIN
            user.status = domain.UserStatus.ACTIVE
            user.password_hash = password_hash
            # A new password ends every session signed in with the old one.
            await repository.revoke_user_sessions(session, user.id, _now())
    return user.id


async def _free_username(session: AsyncSession, wanted: str) -> str:
    username = wanted
    while await repository.username_exists(session, username):
        username = f"{wanted[:25]}-{secrets.token_hex(2)}"
    return username
