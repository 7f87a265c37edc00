"""Update masks (AIP-134): which fields of a resource a PATCH changes."""

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

from servicekit.errors import FieldViolation, InvalidArgument

F = TypeVar("F")


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
