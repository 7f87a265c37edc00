"""Attribute definitions: the one shape of a category's typed attribute, its rules and errors.

An `Attribute` is what an admin writes, what values and filters are checked against, what
the repository stores and what the API shows. What a changed definition narrows, and so
which stored values it must count first, is `narrowing`.
"""

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from catalog.domain.common import MAX_NAME, InUse, Taken, raise_if_any, text_violations
from servicekit.errors import FailedPrecondition, FieldViolation, NotFound
from servicekit.filters import AttributeType

MAX_KEY = 64
MAX_UNIT = 32
MAX_LENGTH_LIMIT = 10_000
MAX_ALLOWED_VALUES = 500
KEY_PATTERN = re.compile(rf"[a-z][a-z0-9_]{{0,{MAX_KEY - 1}}}")


@dataclass(frozen=True)
class Attribute:
    """A typed attribute of a category, such as "wear", a number from 0 to 1."""

    key: str
    # None only in a request that leaves it unspecified; validation refuses that.
    type: AttributeType | None
    name: str = ""
    required: bool = False
    allowed_values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    unit: str = ""
    filterable: bool = False
    display_order: int = 0
    # Set once stored.
    id: UUID | None = None
    category_id: UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# The proto paths an update mask may name, and the fields they change; key and type never change.
ATTRIBUTE_MASK = {
    "name": "name",
    "required": "required",
    "allowed_values": "allowed_values",
    "min": "min_value",
    "max": "max_value",
    "max_length": "max_length",
    "unit": "unit",
    "filterable": "filterable",
    "display_order": "display_order",
}
ATTRIBUTE_IMMUTABLE = {"key": "key", "type": "type"}


class AttributeNotFound(NotFound):
    reason = "ATTRIBUTE_NOT_FOUND"


class AttributeKeyTaken(Taken):
    reason = "ATTRIBUTE_KEY_TAKEN"
    what = "in this category, an attribute with the key"
    field = "key"


class RequiredAttributeWithItems(InUse):
    reason = "REQUIRED_ATTRIBUTE_WITH_ITEMS"

    def __init__(self, items: int) -> None:
        super().__init__(
            f"a required attribute cannot be added while {items} items of the category exist without a value "
            "for it: add it as optional, then make it required once every item has a value",
            items=items,
        )


class CategoryAttributeLimit(FailedPrecondition):
    reason = "CATEGORY_ATTRIBUTE_LIMIT"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the category has {limit} attributes, the most a category may have (max_attributes_per_category)",
            metadata={"limit": str(limit)},
        )


class AttributeChangeBreaksValues(InUse):
    reason = "ATTRIBUTE_CHANGE_BREAKS_VALUES"

    def __init__(self, items: int, templates: int, problems: Sequence[str]) -> None:
        super().__init__(
            f"the change would make {items} items and {templates} templates invalid ({'; '.join(problems)}): "
            "change or remove those values first",
            items=items,
            templates=templates,
        )


# Validation ------------------------------------------------------------------------------


def _bound_violations(attribute: Attribute, prefix: str) -> list[FieldViolation]:
    violations = []
    bounds = {"min": attribute.min_value, "max": attribute.max_value}
    for name, bound in bounds.items():
        if bound is None:
            continue
        if not attribute.type or not attribute.type.is_numeric:
            violations.append(FieldViolation(f"{prefix}{name}", "only an integer or number attribute has bounds"))
        elif not math.isfinite(bound):
            violations.append(FieldViolation(f"{prefix}{name}", "must be a finite number"))
        elif attribute.type is AttributeType.INTEGER and not float(bound).is_integer():
            violations.append(FieldViolation(f"{prefix}{name}", "must be a whole number for an integer attribute"))
    low, high = attribute.min_value, attribute.max_value
    if not violations and low is not None and high is not None and low > high:
        violations.append(FieldViolation(f"{prefix}max", "must not be below min"))
    return violations


def _allowed_values_violations(attribute: Attribute, prefix: str) -> list[FieldViolation]:
    field = f"{prefix}allowed_values"
    allowed = attribute.allowed_values
    if attribute.type is not AttributeType.ENUM:
        return [FieldViolation(field, "only an enum attribute has allowed values")] if allowed else []
    if not allowed:
        return [FieldViolation(field, "an enum attribute needs at least one allowed value")]
    if len(allowed) > MAX_ALLOWED_VALUES:
        return [FieldViolation(field, f"must have at most {MAX_ALLOWED_VALUES} values")]
    violations = []
    for index, value in enumerate(allowed):
        if not value.strip() or len(value) > MAX_NAME or value != value.strip():
            violations.append(
                FieldViolation(f"{field}[{index}]", f"must be 1 to {MAX_NAME} characters without outer spaces")
            )
    if len(set(allowed)) != len(allowed):
        violations.append(FieldViolation(field, "must not repeat a value"))
    return violations


def validate_attribute(attribute: Attribute, prefix: str = "attribute.") -> Attribute:
    """The definition with its name trimmed, or INVALID_ARGUMENT listing every problem."""
    violations = text_violations(prefix, attribute.name, "")
    if not KEY_PATTERN.fullmatch(attribute.key):
        violations.append(
            FieldViolation(
                f"{prefix}key", f"must be lower snake case of at most {MAX_KEY} characters, such as 'pattern_index'"
            )
        )
    if attribute.type is None:
        violations.append(FieldViolation(f"{prefix}type", "must be one of string, integer, number, boolean, enum"))
    violations += _allowed_values_violations(attribute, prefix)
    violations += _bound_violations(attribute, prefix)
    if attribute.max_length is not None and attribute.type is not AttributeType.STRING:
        violations.append(FieldViolation(f"{prefix}max_length", "only a string attribute has a maximum length"))
    elif attribute.max_length is not None and not 1 <= attribute.max_length <= MAX_LENGTH_LIMIT:
        violations.append(FieldViolation(f"{prefix}max_length", f"must be between 1 and {MAX_LENGTH_LIMIT}"))
    if attribute.unit and (not attribute.type or not attribute.type.is_numeric):
        violations.append(FieldViolation(f"{prefix}unit", "only an integer or number attribute has a unit"))
    elif len(attribute.unit) > MAX_UNIT:
        violations.append(FieldViolation(f"{prefix}unit", f"must be at most {MAX_UNIT} characters"))
    raise_if_any(violations)
    return dataclasses.replace(attribute, name=attribute.name.strip(), unit=attribute.unit.strip())


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


def narrowing(old: Attribute, new: Attribute) -> Narrowing:
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
