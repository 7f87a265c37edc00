"""Users: who may register with what, and who may suspend whom."""

import re
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from servicekit.auth import Role
from servicekit.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound

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


class UserNotFound(NotFound):
    reason = "USER_NOT_FOUND"


class RegistrationClosed(FailedPrecondition):
    reason = "REGISTRATION_CLOSED"

    def __init__(self) -> None:
        super().__init__("registration is closed for now (the registration_open setting): try again later")


class CannotSuspendSelf(FailedPrecondition):
    reason = "CANNOT_SUSPEND_SELF"


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


def suspend(*, user_id: UUID, admin_id: UUID) -> UserStatus:
    """An admin suspends someone else, never their own account."""
    if user_id == admin_id:
        raise CannotSuspendSelf("an admin cannot suspend their own account")
    return UserStatus.SUSPENDED
