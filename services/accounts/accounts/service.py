"""Use cases of accounts: one function per action; the end of `db.begin()` is the commit."""

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import domain, passwords, repository
from accounts.models import IdempotencyKey, OutboxEvent, Profile, RefreshToken, User
from accounts.tokens import IssuedSession, TokenIssuer, new_refresh_token, refresh_token_hash
from marketplace.accounts.v1 import events_pb2, resources_pb2
from servicekit import enums, idempotency, outbox
from servicekit.auth import Caller, Role
from servicekit.db import Database


def _now() -> datetime:
    return datetime.now(UTC)


async def create_user(db: Database, new: domain.NewUser, request_id: str = "") -> User:
    # Hashed before the transaction: the slow part should not hold a connection.
    password_hash = await passwords.hash_password(new.password)
    # The email is part of the scope so that one person's key never returns another's account.
    scope = f"create_user:{new.email.casefold()}"
    try:
        async with db.begin() as session:
            if request_id and (first := await idempotency.claim(session, IdempotencyKey, scope, request_id)):
                return await repository.get_user_with_profile(session, first)
            if taken := await repository.taken_fields(session, new.email, new.username, new.phone):
                raise domain.taken(taken[0])
            user = _add_user(session, new, password_hash)
            await session.flush()
            if request_id:
                await idempotency.complete(session, IdempotencyKey, scope, request_id, user.id)
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


async def create_session(db: Database, issuer: TokenIssuer, login: str, password: str) -> IssuedSession:
    async with db.read() as session:
        user = await repository.find_user_by_login(session, login.strip())
    if user is None:
        await passwords.burn_verification(password)
        raise domain.InvalidCredentials()
    if not await passwords.verify_password(user.password_hash, password):
        raise domain.InvalidCredentials()
    domain.require_active(user.status)
    # Parameters were raised since this hash was made: store a stronger one while we know the password.
    new_hash = await passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    async with db.begin() as session:
        if new_hash:
            await repository.set_password_hash(session, user.id, new_hash)
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


async def get_me(db: Database, caller: Caller) -> User:
    async with db.read() as session:
        user = await repository.get_user_with_profile(session, caller.user_id)
    if user is None:
        raise domain.UserNotFound(f"user {caller.user_id} does not exist")
    return user


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
