"""Verifications: one fact about a user, reviewed by an admin."""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from servicekit.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)

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
