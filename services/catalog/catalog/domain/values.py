"""Attribute values: checking them against a category's definitions.

Values arrive as JSON scalars (str, float, bool; None for null; `servicekit.values`) keyed by attribute key.
Every problem becomes one field violation, named `<field>.<key>`, and all are reported at
once. Integers are whole numbers of an INTEGER attribute and come back as `int`.
"""

import math
from collections.abc import Iterable, Mapping

from catalog.domain.attributes import MAX_LENGTH_LIMIT, Attribute, AttributeType
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.values import Scalar


def _describe_bounds(attribute: Attribute) -> str:
    low, high = attribute.min_value, attribute.max_value
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def check_value(attribute: Attribute, raw: object) -> tuple[Scalar | None, str | None]:
    """(the value as stored, None) or (None, what is wrong with it)."""
    kind = attribute.type
    if kind is AttributeType.BOOLEAN:
        return (raw, None) if isinstance(raw, bool) else (None, "must be true or false")
    if kind.is_numeric:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return None, f"must be {'a whole number' if kind is AttributeType.INTEGER else 'a number'}"
        if not math.isfinite(raw):
            return None, "must be a finite number"
        if kind is AttributeType.INTEGER:
            if not float(raw).is_integer():
                return None, "must be a whole number"
            raw = int(raw)
        else:
            raw = float(raw)
        if (attribute.min_value is not None and raw < attribute.min_value) or (
            attribute.max_value is not None and raw > attribute.max_value
        ):
            return None, f"must be {_describe_bounds(attribute)}"
        return raw, None
    if not isinstance(raw, str):
        return None, "must be a string"
    if kind is AttributeType.ENUM:
        if raw not in attribute.allowed_values:
            return None, f"must be one of {', '.join(attribute.allowed_values)}"
        return raw, None
    if not raw.strip():
        return None, "must not be blank"
    limit = attribute.max_length or MAX_LENGTH_LIMIT
    if len(raw) > limit:
        return None, f"must be at most {limit} characters"
    return raw, None


def validate_values(
    attributes: Iterable[Attribute],
    values: Mapping[str, object],
    field: str,
    *,
    require: bool,
    fixed: Mapping[str, Scalar] | None = None,
) -> dict[str, Scalar]:
    """The values checked against the definitions, merged with `fixed` (a template's values).

    Unknown keys, wrong types, values out of bounds or not allowed, a value that differs from
    the template's and, when `require`, a missing required attribute: all reported together.
    """
    by_key = {attribute.key: attribute for attribute in attributes}
    fixed = fixed or {}
    violations = []
    checked: dict[str, Scalar] = {}
    for key in sorted(values):
        attribute = by_key.get(key)
        if attribute is None:
            violations.append(FieldViolation(f"{field}.{key}", "is not an attribute of the category"))
            continue
        value, problem = check_value(attribute, values[key])
        if problem:
            violations.append(FieldViolation(f"{field}.{key}", problem))
        elif key in fixed and value != fixed[key]:
            violations.append(FieldViolation(f"{field}.{key}", f"is fixed by the template to {fixed[key]!r}"))
        else:
            checked[key] = value
    merged = checked | dict(fixed)
    if require:
        violations += [
            FieldViolation(f"{field}.{attribute.key}", "is required")
            for attribute in sorted(by_key.values(), key=lambda attribute: attribute.key)
            if attribute.required and attribute.key not in merged and attribute.key not in values
        ]
    if violations:
        raise InvalidArgument(violations)
    return merged
