"""What every resource's rules share: text limits, update masks, the shapes of its errors."""

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

from servicekit.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument

MAX_NAME = 200
MAX_DESCRIPTION = 5000

F = TypeVar("F")


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


def apply_mask(
    current: F,
    patch: F,
    paths: Sequence[str],
    *,
    prefix: str,
    fields: dict[str, str],
    immutable: dict[str, str] | None = None,
) -> F:
    """`current` with the fields named by the mask taken from `patch`.

    `fields` maps the changeable proto paths to dataclass fields; an empty mask (or "*")
    names them all. A path in `immutable` may be named only with its current value.
    """
    immutable = immutable or {}
    violations = []
    changes = {}
    for path in list(fields) if not paths or list(paths) == ["*"] else paths:
        if path in fields:
            changes[fields[path]] = getattr(patch, fields[path])
        elif path in immutable:
            if getattr(patch, immutable[path]) != getattr(current, immutable[path]):
                violations.append(FieldViolation(f"{prefix}{path}", "cannot be changed once created"))
        else:
            violations.append(FieldViolation("update_mask", f"{path!r} is not a field that can be changed"))
    if violations:
        raise InvalidArgument(violations)
    return dataclasses.replace(current, **changes)


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
