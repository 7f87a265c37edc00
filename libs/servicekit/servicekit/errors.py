"""Domain errors with stable reasons, and their gRPC status with google.rpc details.

Services raise these; the error layer turns them into a status whose
`grpc-status-details-bin` trailer carries ErrorInfo (the reason) and, for invalid
arguments, BadRequest field violations.
"""

from dataclasses import dataclass
from typing import ClassVar

from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc import StatusCode

DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


def violations_to_proto(violations: list[FieldViolation]) -> list[error_details_pb2.BadRequest.FieldViolation]:
    return [error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description) for v in violations]


class DomainError(Exception):
    """A failure the caller can act on. Subclasses set `code` and a stable `reason`."""

    code: ClassVar[StatusCode] = StatusCode.INTERNAL
    reason: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, *, metadata: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = metadata or {}

    def details(self) -> list:
        return []


class InvalidArgument(DomainError):
    code = StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation], message: str | None = None) -> None:
        if not violations:
            raise ValueError("InvalidArgument needs at least one field violation")
        self.violations = violations
        summary = "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(message or f"invalid argument: {summary}")

    @classmethod
    def field(cls, field: str, description: str) -> "InvalidArgument":
        return cls([FieldViolation(field, description)])

    def details(self) -> list:
        return [error_details_pb2.BadRequest(field_violations=violations_to_proto(self.violations))]


class Unauthenticated(DomainError):
    code = StatusCode.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    code = StatusCode.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"


class NotFound(DomainError):
    code = StatusCode.NOT_FOUND
    reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = StatusCode.ALREADY_EXISTS
    reason = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    code = StatusCode.FAILED_PRECONDITION
    reason = "FAILED_PRECONDITION"


class Aborted(DomainError):
    code = StatusCode.ABORTED
    reason = "ABORTED"


class ResourceExhausted(DomainError):
    code = StatusCode.RESOURCE_EXHAUSTED
    reason = "RESOURCE_EXHAUSTED"


def rich_status(error: DomainError, domain: str) -> status_pb2.Status:
    """The google.rpc.Status of an error: ErrorInfo first, then the error's own details."""
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)
    details = []
    for message in (info, *error.details()):
        packed = any_pb2.Any()
        packed.Pack(message)
        details.append(packed)
    return status_pb2.Status(code=getattr(code_pb2, error.code.name), message=error.message, details=details)


class Unavailable(DomainError):
    """Another context this call needs did not answer in time; the call may be retried."""

    code = StatusCode.UNAVAILABLE
    reason = "DEPENDENCY_UNAVAILABLE"
