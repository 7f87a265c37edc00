"""Dynamic attributes: checking values against a category's definitions, filters, and changes.

Values arrive as JSON scalars (str, float, bool; None for null) keyed by attribute key.
Every problem becomes one field violation, named `<field>.<key>`, and all are reported at
once. Integers are whole numbers of an INTEGER attribute and come back as `int`.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from catalog.domain import MAX_LENGTH_LIMIT, AttributeType
from servicekit.errors import FieldViolation, InvalidArgument

Scalar = str | int | float | bool
TRUE_WORDS = {"true": True, "false": False}


class Unsupported:
    """A JSON list or object where a scalar belongs."""

    def __repr__(self) -> str:
        return "a list or object"


@dataclass(frozen=True)
class AttributeSpec:
    """What validation needs of one attribute definition."""

    id: UUID
    key: str
    type: AttributeType
    required: bool = False
    allowed_values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    filterable: bool = False


def _describe_bounds(spec: AttributeSpec) -> str:
    low, high = spec.min_value, spec.max_value
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def check_value(spec: AttributeSpec, raw: object) -> tuple[Scalar | None, str | None]:
    """(the value as stored, None) or (None, what is wrong with it)."""
    kind = spec.type
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
        if (spec.min_value is not None and raw < spec.min_value) or (
            spec.max_value is not None and raw > spec.max_value
        ):
            return None, f"must be {_describe_bounds(spec)}"
        return raw, None
    if not isinstance(raw, str):
        return None, "must be a string"
    if kind is AttributeType.ENUM:
        if raw not in spec.allowed_values:
            return None, f"must be one of {', '.join(spec.allowed_values)}"
        return raw, None
    if not raw.strip():
        return None, "must not be blank"
    limit = spec.max_length or MAX_LENGTH_LIMIT
    if len(raw) > limit:
        return None, f"must be at most {limit} characters"
    return raw, None


def validate_values(
    specs: Iterable[AttributeSpec],
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
    by_key = {spec.key: spec for spec in specs}
    fixed = fixed or {}
    violations = []
    checked: dict[str, Scalar] = {}
    for key in sorted(values):
        spec = by_key.get(key)
        if spec is None:
            violations.append(FieldViolation(f"{field}.{key}", "is not an attribute of the category"))
            continue
        value, problem = check_value(spec, values[key])
        if problem:
            violations.append(FieldViolation(f"{field}.{key}", problem))
        elif key in fixed and value != fixed[key]:
            violations.append(FieldViolation(f"{field}.{key}", f"is fixed by the template to {fixed[key]!r}"))
        else:
            checked[key] = value
    merged = checked | dict(fixed)
    if require:
        violations += [
            FieldViolation(f"{field}.{spec.key}", "is required")
            for spec in sorted(by_key.values(), key=lambda spec: spec.key)
            if spec.required and spec.key not in merged and spec.key not in values
        ]
    if violations:
        raise InvalidArgument(violations)
    return merged


def stored_columns(kind: AttributeType, value: Scalar) -> dict[str, object]:
    """The typed columns of a value row: exactly the one of its type is set."""
    return {
        "value_string": value if kind.is_text else None,
        "value_number": float(value) if kind.is_numeric else None,
        "value_boolean": value if kind is AttributeType.BOOLEAN else None,
    }


def from_columns(
    kind: AttributeType, value_string: str | None, value_number: float | None, value_boolean: bool | None
) -> Scalar:
    if kind is AttributeType.INTEGER:
        return int(value_number)
    if kind is AttributeType.NUMBER:
        return value_number
    if kind is AttributeType.BOOLEAN:
        return value_boolean
    return value_string


# Filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """One condition on an attribute: any of `values`, or a range with inclusive bounds."""

    spec: AttributeSpec
    values: tuple[Scalar, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _parse_scalar(spec: AttributeSpec, text: str) -> tuple[Scalar | None, str | None]:
    if spec.type is AttributeType.BOOLEAN:
        if text.lower() not in TRUE_WORDS:
            return None, f"{text!r} is not true or false"
        return TRUE_WORDS[text.lower()], None
    if spec.type.is_numeric:
        try:
            number = float(text)
        except ValueError:
            return None, f"{text!r} is not a number"
        return (number, None) if math.isfinite(number) else (None, f"{text!r} is not a finite number")
    if spec.type is AttributeType.ENUM and text not in spec.allowed_values:
        return None, f"{text!r} is not one of {', '.join(spec.allowed_values)}"
    return text, None


def _parse_filter(spec: AttributeSpec, condition: str) -> tuple[Filter | None, str | None]:
    if ".." in condition:
        if not spec.type.is_numeric:
            return None, "a range needs an integer or number attribute"
        low_text, _, high_text = condition.partition("..")
        bounds = []
        for text in (low_text.strip(), high_text.strip()):
            bound, problem = _parse_scalar(spec, text) if text else (None, None)
            if problem:
                return None, problem
            bounds.append(bound)
        if bounds == [None, None]:
            return None, "a range needs at least one bound, as in 'wear:0..0.07'"
        return Filter(spec, minimum=bounds[0], maximum=bounds[1]), None
    values = []
    for text in condition.split("|"):
        value, problem = _parse_scalar(spec, text.strip())
        if problem:
            return None, problem
        values.append(value)
    return Filter(spec, values=tuple(values)), None


def parse_filters(specs: Iterable[AttributeSpec], conditions: Sequence[str], field: str = "attributes") -> list[Filter]:
    """Filters of "key:value", "key:min..max" or "key:a|b" on filterable attributes, or every problem."""
    by_key = {spec.key: spec for spec in specs}
    filters, violations = [], []
    for index, condition in enumerate(conditions):
        path = f"{field}[{index}]"
        key, colon, rest = condition.partition(":")
        spec = by_key.get(key.strip())
        if not colon or not rest.strip():
            violations.append(FieldViolation(path, "must be 'key:value', 'key:min..max' or 'key:a|b'"))
        elif spec is None:
            violations.append(FieldViolation(path, f"{key.strip()!r} is not an attribute of the category"))
        elif not spec.filterable:
            violations.append(FieldViolation(path, f"{spec.key!r} is not filterable"))
        else:
            parsed, problem = _parse_filter(spec, rest.strip())
            if problem:
                violations.append(FieldViolation(path, problem))
            else:
                filters.append(parsed)
    if violations:
        raise InvalidArgument(violations)
    return filters


# Changes of a definition that values already use -------------------------------------------


@dataclass(frozen=True)
class Narrowing:
    """What a changed definition forbids that the old one allowed; each part needs a count of values."""

    below: float | None = None
    above: float | None = None
    allowed: tuple[str, ...] | None = None
    longer_than: int | None = None
    now_required: bool = False

    def __bool__(self) -> bool:
        return (
            self.below is not None
            or self.above is not None
            or self.allowed is not None
            or self.longer_than is not None
            or self.now_required
        )

    def problems(self) -> list[str]:
        found = []
        if self.below is not None:
            found.append(f"values below {self.below:g}")
        if self.above is not None:
            found.append(f"values above {self.above:g}")
        if self.allowed is not None:
            found.append(f"values other than {', '.join(self.allowed)}")
        if self.longer_than is not None:
            found.append(f"values longer than {self.longer_than} characters")
        if self.now_required:
            found.append("items without a value")
        return found


def narrowing(old: AttributeSpec, new: AttributeSpec) -> Narrowing:
    """The parts of `new` that stored values valid under `old` might break (empty when it only widens)."""
    raised_min = new.min_value is not None and (old.min_value is None or new.min_value > old.min_value)
    lowered_max = new.max_value is not None and (old.max_value is None or new.max_value < old.max_value)
    dropped_values = bool(set(old.allowed_values) - set(new.allowed_values))
    old_length = old.max_length or MAX_LENGTH_LIMIT
    shorter = new.max_length is not None and new.max_length < old_length
    return Narrowing(
        below=new.min_value if raised_min else None,
        above=new.max_value if lowered_max else None,
        allowed=new.allowed_values if dropped_values else None,
        longer_than=new.max_length if shorter else None,
        now_required=new.required and not old.required,
    )
