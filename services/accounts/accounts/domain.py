"""Rules of accounts: no I/O, no proto, no clock."""

import ipaddress
import math
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from servicekit.auth import Role
from servicekit.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from servicekit.geo import Point
from servicekit.urls import url_violation

MAX_EMAIL = 254
MAX_EMAIL_LOCAL_PART = 64
MIN_PASSWORD = 10
# Long enough for any passphrase, short enough that hashing it is not a way to burn our CPU.
MAX_PASSWORD = 256
USERNAME_PATTERN = r"[A-Za-z0-9_.-]{3,30}"
PHONE_PATTERN = r"\+[1-9][0-9]{6,14}"

# Deliberately loose: one @, no spaces, a dot in the domain. Whether the address
# receives mail is what the email verification finds out, not a regular expression.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_USERNAME = re.compile(USERNAME_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class EmailTaken(AlreadyExists):
    reason = "EMAIL_TAKEN"


class UsernameTaken(AlreadyExists):
    reason = "USERNAME_TAKEN"


class PhoneTaken(AlreadyExists):
    reason = "PHONE_TAKEN"


TAKEN_BY_FIELD: dict[str, type[AlreadyExists]] = {
    "email": EmailTaken,
    "username": UsernameTaken,
    "phone": PhoneTaken,
}


def taken(field: str) -> AlreadyExists:
    """ALREADY_EXISTS naming the field whose value another user has."""
    return TAKEN_BY_FIELD[field](f"another user has this {field} already", metadata={"field": field})


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


class UserNotFound(NotFound):
    reason = "USER_NOT_FOUND"


@dataclass(frozen=True)
class Registration:
    """What someone registering sends; no role means the default."""

    email: str
    username: str
    password: str
    phone: str = ""
    role: Role | None = None


@dataclass(frozen=True)
class NewUser:
    """A registration that passed every rule, normalized for storage."""

    email: str
    username: str
    password: str
    phone: str | None
    role: Role


def email_violation(email: str) -> FieldViolation | None:
    if not email:
        return FieldViolation("email", "is required")
    if len(email) > MAX_EMAIL:
        return FieldViolation("email", f"must be at most {MAX_EMAIL} characters")
    if not _EMAIL.fullmatch(email) or len(email.rpartition("@")[0]) > MAX_EMAIL_LOCAL_PART:
        return FieldViolation("email", "is not an email address")
    return None


def username_violation(username: str) -> FieldViolation | None:
    if not _USERNAME.fullmatch(username):
        return FieldViolation("username", "must be 3 to 30 letters, digits, '_', '.' or '-'")
    return None


def password_violations(password: str, *, email: str, username: str) -> list[FieldViolation]:
    violations = []
    if len(password) < MIN_PASSWORD:
        violations.append(FieldViolation("password", f"must be at least {MIN_PASSWORD} characters"))
    elif len(password) > MAX_PASSWORD:
        violations.append(FieldViolation("password", f"must be at most {MAX_PASSWORD} characters"))
    if password and password.casefold() in (email.casefold(), username.casefold()):
        violations.append(FieldViolation("password", "must not be the email or the username"))
    return violations


def validate_registration(registration: Registration, violations: list[FieldViolation]) -> NewUser:
    """The normalized new user, or INVALID_ARGUMENT listing every problem, those found before included."""
    email = registration.email.strip()
    username = registration.username.strip()
    phone = registration.phone.strip()
    violations += [problem for problem in (email_violation(email), username_violation(username)) if problem]
    if phone and not _PHONE.fullmatch(phone):
        violations.append(FieldViolation("phone", "must be in E.164 form, such as +4915112345678"))
    if registration.role is Role.ADMIN:
        violations.append(FieldViolation("role", "admin cannot be chosen at registration"))
    violations += password_violations(registration.password, email=email, username=username)
    if violations:
        raise InvalidArgument(violations)
    return NewUser(
        email=email,
        username=username,
        password=registration.password,
        phone=phone or None,
        role=registration.role or Role.BOTH,
    )


def validate_admin(email: str, password: str) -> None:
    """The admin account set up by the operator follows the same rules as everyone's."""
    violations = password_violations(password, email=email, username=admin_username(email))
    if problem := email_violation(email):
        violations.insert(0, problem)
    if violations:
        raise InvalidArgument(violations)


def admin_username(email: str) -> str:
    """A username for the admin account: its email's local part where that makes a valid one."""
    local = re.sub(r"[^A-Za-z0-9_.-]", "", email.partition("@")[0])[:30]
    return local if _USERNAME.fullmatch(local) else "admin"


def login_is_email(login: str) -> bool:
    """Usernames cannot hold '@' and email addresses must, so one character tells them apart."""
    return "@" in login


def require_active(status: UserStatus) -> None:
    """Only an active account signs in or refreshes its session."""
    if status is not UserStatus.ACTIVE:
        raise UserSuspended()


@dataclass(frozen=True)
class RefreshTokenState:
    """What the rotation rule needs to know about a presented refresh token."""

    expires_at: datetime
    revoked: bool
    rotated: bool


def check_refresh(token: RefreshTokenState | None, now: datetime) -> None:
    """Raises unless the token may be exchanged for a new pair.

    A token that was already rotated and comes back is the sign of a stolen copy;
    the caller revokes its family (RFC 6819 5.2.2.3, OAuth 2.0 Security BCP 4.14).
    """
    if token is None:
        raise RefreshTokenInvalid("the refresh token is not valid")
    if token.rotated:
        raise RefreshTokenReused()
    if token.revoked:
        raise RefreshTokenInvalid("the refresh token was revoked; sign in again")
    if token.expires_at <= now:
        raise RefreshTokenInvalid("the refresh token has expired; sign in again")


class CannotSuspendSelf(FailedPrecondition):
    reason = "CANNOT_SUSPEND_SELF"


def suspend(*, user_id: UUID, admin_id: UUID) -> UserStatus:
    """An admin suspends someone else, never their own account."""
    if user_id == admin_id:
        raise CannotSuspendSelf("an admin cannot suspend their own account")
    return UserStatus.SUSPENDED


# Profiles -------------------------------------------------------------------------------

MAX_DISPLAY_NAME = 100
MAX_BIO = 2000
PROFILE_PATHS = ("display_name", "bio", "avatar_url", "location", "location.latitude", "location.longitude")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNCHANGED = object()  # a location the update leaves alone (None clears it)


@dataclass(frozen=True)
class ProfileValues:
    """The values a profile update sends; location is (latitude, longitude) or None when absent."""

    display_name: str = ""
    bio: str = ""
    avatar_url: str = ""
    location: tuple[float, float] | None = None


def _profile_path(path: str) -> str:
    # AIP-134 paths are relative to the resource (`display_name`); `profile.display_name` is accepted too.
    return path.removeprefix("profile.")


def _sent_paths(values: ProfileValues) -> list[str]:
    """Without a mask, the fields that carry a value (proto3 cannot tell an empty string from none)."""
    paths = [name for name in ("display_name", "bio", "avatar_url") if getattr(values, name)]
    return paths + (["location"] if values.location is not None else [])


def profile_changes(
    paths: list[str], values: ProfileValues, stored_location: Point | None
) -> dict[str, str | Point | None]:
    """The columns an update changes, or INVALID_ARGUMENT naming every problem.

    `location.latitude` alone moves the stored point north or south; without a stored point
    both coordinates are needed. `location` with no value clears it.
    """
    violations: list[FieldViolation] = []
    wanted = [_profile_path(path) for path in paths] if paths else _sent_paths(values)
    changes: dict[str, str | Point | None] = {}
    for path in wanted:
        if path not in PROFILE_PATHS:
            violations.append(FieldViolation("update_mask", f"{path!r} is not a profile field that can be changed"))
    if violations:
        raise InvalidArgument(violations)
    if "display_name" in wanted:
        name = values.display_name.strip()
        if len(name) > MAX_DISPLAY_NAME:
            violations.append(FieldViolation("profile.display_name", f"must be at most {MAX_DISPLAY_NAME} characters"))
        elif _CONTROL.search(name):
            violations.append(FieldViolation("profile.display_name", "must not contain control characters"))
        changes["display_name"] = name
    if "bio" in wanted:
        if len(values.bio) > MAX_BIO:
            violations.append(FieldViolation("profile.bio", f"must be at most {MAX_BIO} characters"))
        changes["bio"] = values.bio
    if "avatar_url" in wanted:
        if problem := url_violation("avatar_url", values.avatar_url.strip()):
            violations.append(FieldViolation(f"profile.{problem.field}", problem.description))
        changes["avatar_url"] = values.avatar_url.strip()
    location = _location_change(wanted, values, stored_location, violations)
    if location is not _UNCHANGED:
        changes["location"] = location
    if violations:
        raise InvalidArgument(violations)
    return changes


def _location_change(wanted: list[str], values: ProfileValues, stored: Point | None, violations: list) -> object:
    whole = "location" in wanted
    latitude, longitude = "location.latitude" in wanted, "location.longitude" in wanted
    if not (whole or latitude or longitude):
        return _UNCHANGED
    if values.location is None:
        if whole:
            return None  # cleared
        violations.append(FieldViolation("profile.location", "is required to change its coordinates"))
        return _UNCHANGED
    if not whole and not (latitude and longitude) and stored is None:
        missing = "longitude" if latitude else "latitude"
        violations.append(FieldViolation(f"profile.location.{missing}", "is required: there is no location yet"))
        return _UNCHANGED
    new_latitude = values.location[0] if whole or latitude else stored.latitude
    new_longitude = values.location[1] if whole or longitude else stored.longitude
    problems = []
    if not -90 <= new_latitude <= 90:
        problems.append(FieldViolation("profile.location.latitude", "must be between -90 and 90"))
    if not -180 <= new_longitude <= 180:
        problems.append(FieldViolation("profile.location.longitude", "must be between -180 and 180"))
    violations += problems
    return _UNCHANGED if problems else Point(new_latitude, new_longitude)


# Verifications --------------------------------------------------------------------------

MAX_VERIFICATION_DATA_BYTES = 16 * 1024
MAX_REJECTION_REASON = 500


class VerificationType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    GOVERNMENT_ID = "government_id"
    ADDRESS = "address"


class VerificationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class VerificationNotFound(NotFound):
    reason = "VERIFICATION_NOT_FOUND"


class VerificationPending(AlreadyExists):
    reason = "VERIFICATION_PENDING"


class AlreadyVerified(FailedPrecondition):
    reason = "ALREADY_VERIFIED"


class VerificationNotPending(FailedPrecondition):
    reason = "VERIFICATION_NOT_PENDING"


class OwnVerification(PermissionDenied):
    reason = "OWN_VERIFICATION"


@dataclass(frozen=True)
class NewVerification:
    type: VerificationType
    data: dict


def validate_verification(type_: VerificationType | None, data_bytes: int, violations: list[FieldViolation]) -> None:
    """A verification needs its type; its evidence (JSON) is bounded in size. Raises with every problem."""
    if type_ is None:
        violations.append(FieldViolation("verification.type", "is required"))
    if data_bytes > MAX_VERIFICATION_DATA_BYTES:
        violations.append(FieldViolation("verification.data", f"must be at most {MAX_VERIFICATION_DATA_BYTES} bytes"))
    if violations:
        raise InvalidArgument(violations)


def check_new_verification(type_: VerificationType, statuses: list[VerificationStatus]) -> None:
    """One verification of a kind waits at a time; an approved kind stays approved."""
    if VerificationStatus.APPROVED in statuses:
        raise AlreadyVerified(f"{type_.value} is verified already")
    if VerificationStatus.PENDING in statuses:
        raise VerificationPending(f"a {type_.value} verification is waiting for review already")


def review(status: VerificationStatus, *, owner_id: UUID, reviewer_id: UUID, approve: bool, reason: str):
    """The status after an admin's review, or why the review is refused."""
    if owner_id == reviewer_id:
        raise OwnVerification("an admin cannot review their own verification")
    if status is not VerificationStatus.PENDING:
        raise VerificationNotPending(f"the verification is {status.value} already")
    if approve:
        return VerificationStatus.APPROVED
    reason = reason.strip()
    if not reason:
        raise InvalidArgument.field("reason", "is required to reject")
    if len(reason) > MAX_REJECTION_REASON:
        raise InvalidArgument.field("reason", f"must be at most {MAX_REJECTION_REASON} characters")
    return VerificationStatus.REJECTED


def verification_level(approved: list[VerificationType]) -> int:
    """How many distinct kinds are verified, from 0 to 4."""
    return len(set(approved))


# Sign-in throttling ---------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed sign-ins an account (or a login that matches none) and a client get per window."""

    per_account: int = 5
    per_client: int = 100
    window: timedelta = timedelta(minutes=15)


DEFAULT_THROTTLE = ThrottlePolicy()


class TooManyFailedSignIns(ResourceExhausted):
    reason = "TOO_MANY_FAILED_SIGN_INS"

    def __init__(self, retry_after: timedelta) -> None:
        seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(
            f"too many failed sign-ins; try again in {seconds} seconds",
            metadata={"retry_after_seconds": str(seconds)},
        )


@dataclass(frozen=True)
class FailureCount:
    failures: int
    window_started_at: datetime
    limit: int


def check_throttle(counts: list[FailureCount], policy: ThrottlePolicy, now: datetime) -> None:
    """Refuses a sign-in while the account or the client has used up its failures in the current window."""
    blocked_until = [
        count.window_started_at + policy.window
        for count in counts
        if count.failures >= count.limit and count.window_started_at + policy.window > now
    ]
    if blocked_until:
        raise TooManyFailedSignIns(max(blocked_until) - now)


def account_throttle_key(user_id: UUID | None, login: str) -> str:
    """Failures count against the account, or against the login itself when it matches no account,
    so that an unknown login is throttled exactly like a known one."""
    return f"user:{user_id}" if user_id else f"login:{login.casefold()}"


def client_throttle_key(client: str) -> str:
    return f"client:{client}"


def client_identity(forwarded_for: str | None, peer: str | None) -> str:
    """The address a sign-in comes from: the last `x-forwarded-for` entry (the one the trusted proxy in
    front of us added), else the peer's address. IPv6 clients count per /64, the block one host gets."""
    candidates = [part.strip() for part in (forwarded_for or "").split(",") if part.strip()]
    address = _parse_ip(candidates[-1]) if candidates else None
    if address is None:
        address = _parse_ip(_peer_host(peer or ""))
    if address is None:
        return peer or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _peer_host(peer: str) -> str:
    """The host of a gRPC peer string: `ipv4:10.0.0.1:5000`, `ipv6:[::1]:5000`."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv6":
        return rest.rpartition("]")[0].lstrip("[") or rest
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    return ""


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None


# Wallets and the ledger -----------------------------------------------------------------


class LedgerAccountKind(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    PLATFORM_FEES = "platform_fees"
    EXTERNAL = "external"


class PostingKind(StrEnum):
    DEPOSIT = "deposit"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"


# The kinds a user owns (one of each per user and currency: their wallet); the others are the platform's.
USER_ACCOUNTS = (LedgerAccountKind.AVAILABLE, LedgerAccountKind.HELD)
# The platform's accounts are split in shards, so that concurrent postings do not all queue on one row lock.
PLATFORM_SHARDS = 16


class InsufficientFunds(FailedPrecondition):
    reason = "INSUFFICIENT_FUNDS"


class InsufficientHeldFunds(FailedPrecondition):
    reason = "INSUFFICIENT_HELD_FUNDS"


class DepositsAdminOnly(PermissionDenied):
    reason = "DEPOSITS_ADMIN_ONLY"

    def __init__(self) -> None:
        super().__init__("deposits are a development top-up: outside development only an admin may make one")


@dataclass(frozen=True)
class Leg:
    """One line of a posting being planned: which account of whom changes by how much."""

    account: LedgerAccountKind
    user_id: UUID | None
    amount_minor: int


@dataclass(frozen=True)
class Entry:
    """A written ledger entry, with what its posting says about it."""

    id: UUID
    posting_id: UUID
    account: LedgerAccountKind
    user_id: UUID | None
    currency: str
    amount_minor: int
    kind: PostingKind
    request_id: str
    transaction_id: UUID | None
    created_at: datetime


@dataclass(frozen=True)
class Posting:
    """A balanced group of entries: one movement of money."""

    id: UUID
    kind: PostingKind
    request_id: str
    transaction_id: UUID | None
    currency: str
    created_at: datetime
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class WalletBalance:
    """A user's two accounts in one currency."""

    user_id: UUID
    currency: str
    available_minor: int
    held_minor: int
    updated_at: datetime


def entry_order(leg: Leg | Entry) -> tuple:
    """The order entries are shown in: money leaving first, then by account."""
    return (leg.amount_minor, list(LedgerAccountKind).index(leg.account))


def deposit_legs(user_id: UUID, amount_minor: int) -> list[Leg]:
    return [
        Leg(LedgerAccountKind.EXTERNAL, None, -amount_minor),
        Leg(LedgerAccountKind.AVAILABLE, user_id, amount_minor),
    ]


def hold_legs(user_id: UUID, amount_minor: int) -> list[Leg]:
    return [
        Leg(LedgerAccountKind.AVAILABLE, user_id, -amount_minor),
        Leg(LedgerAccountKind.HELD, user_id, amount_minor),
    ]


def release_legs(user_id: UUID, amount_minor: int) -> list[Leg]:
    return [
        Leg(LedgerAccountKind.HELD, user_id, -amount_minor),
        Leg(LedgerAccountKind.AVAILABLE, user_id, amount_minor),
    ]


def capture_legs(buyer_id: UUID, seller_id: UUID, amount_minor: int, fee_minor: int) -> list[Leg]:
    """The buyer's held money to the seller's available balance, less the fee, which goes to the platform."""
    legs = [Leg(LedgerAccountKind.HELD, buyer_id, -amount_minor)]
    if amount_minor > fee_minor:
        legs.append(Leg(LedgerAccountKind.AVAILABLE, seller_id, amount_minor - fee_minor))
    if fee_minor:
        legs.append(Leg(LedgerAccountKind.PLATFORM_FEES, None, fee_minor))
    return legs


def check_fee(amount_minor: int, fee_currency: str, fee_minor: int, currency: str) -> None:
    violations = []
    if fee_currency and fee_currency != currency:
        violations.append(FieldViolation("fee.currency", f"must be the amount's currency, {currency}"))
    if not 0 <= fee_minor <= amount_minor:
        violations.append(FieldViolation("fee.amount_minor", "must be from zero up to the amount"))
    if violations:
        raise InvalidArgument(violations)


def check_funds(legs: list[Leg], balances: dict[tuple[LedgerAccountKind, UUID | None], int]) -> None:
    """Refuses a posting that would take a user's account below zero (the database refuses it too)."""
    assert sum(leg.amount_minor for leg in legs) == 0, "a posting must balance"
    for leg in legs:
        if leg.amount_minor >= 0 or leg.account not in USER_ACCOUNTS:
            continue
        balance = balances.get((leg.account, leg.user_id), 0)
        if balance + leg.amount_minor < 0:
            if leg.account is LedgerAccountKind.HELD:
                raise InsufficientHeldFunds(
                    f"{balance} held, {-leg.amount_minor} needed", metadata={"held": str(balance)}
                )
            raise InsufficientFunds(
                f"{balance} available, {-leg.amount_minor} needed", metadata={"available": str(balance)}
            )


def platform_shard(request_id: str) -> int:
    """The shard of a platform account a posting uses; any one does, the same one for a retry is tidy."""
    return zlib.crc32(request_id.encode()) % PLATFORM_SHARDS


def deposit_allowed(*, development: bool, is_admin: bool) -> None:
    if not development and not is_admin:
        raise DepositsAdminOnly()
