"""What every resource's rules share: text limits, the shapes of its errors."""

from servicekit.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument

MAX_NAME = 200
MAX_DESCRIPTION = 5000


class Taken(AlreadyExists):
    """A name or key that must be unique is in use."""

    what = "a resource"
    field = "name"

    def __init__(self, value: str) -> None:
        super().__init__(f"{self.what} {value!r} exists already", metadata={"field": self.field})


class InUse(FailedPrecondition):
    """A change refused while something uses the resource; the counts go to ErrorInfo.metadata."""

    def __init__(self, message: str, **counts: int) -> None:
        super().__init__(message, metadata={name: str(count) for name, count in counts.items()})


def name_violation(field: str, name: str) -> FieldViolation | None:
    if not name.strip():
        return FieldViolation(field, "must not be blank")
    if len(name.strip()) > MAX_NAME:
        return FieldViolation(field, f"must be at most {MAX_NAME} characters")
    return None


def description_violation(field: str, description: str) -> FieldViolation | None:
    if len(description) > MAX_DESCRIPTION:
        return FieldViolation(field, f"must be at most {MAX_DESCRIPTION} characters")
    return None


def text_violations(prefix: str, name: str, description: str) -> list[FieldViolation]:
    violations = [name_violation(f"{prefix}name", name), description_violation(f"{prefix}description", description)]
    return [violation for violation in violations if violation]


def raise_if_any(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgument(violations)
