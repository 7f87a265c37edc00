"""Rules of the catalog: no I/O, no proto, no clock.

The rules of dynamic attribute values (types, bounds, filters, changes of definitions)
live in `catalog.attributes`; this module holds the resources' own fields and errors.
"""

import dataclasses
import enum
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from servicekit.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from servicekit.urls import url_violation

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_KEY = 64
MAX_UNIT = 32
MAX_LENGTH_LIMIT = 10_000
MAX_ALLOWED_VALUES = 500
KEY_PATTERN = re.compile(rf"[a-z][a-z0-9_]{{0,{MAX_KEY - 1}}}")


class AttributeType(enum.StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"

    @property
    def is_numeric(self) -> bool:
        return self in (AttributeType.INTEGER, AttributeType.NUMBER)

    @property
    def is_text(self) -> bool:
        return self in (AttributeType.STRING, AttributeType.ENUM)


class AuditAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


# Not found -----------------------------------------------------------------------------


class GameNotFound(NotFound):
    reason = "GAME_NOT_FOUND"


class CategoryNotFound(NotFound):
    reason = "CATEGORY_NOT_FOUND"


class AttributeNotFound(NotFound):
    reason = "ATTRIBUTE_NOT_FOUND"


class TemplateNotFound(NotFound):
    reason = "TEMPLATE_NOT_FOUND"


class ItemNotFound(NotFound):
    reason = "ITEM_NOT_FOUND"


# Names and keys taken ------------------------------------------------------------------


class _Taken(AlreadyExists):
    what = "a resource"
    field = "name"

    def __init__(self, value: str) -> None:
        super().__init__(f"{self.what} {value!r} exists already", metadata={"field": self.field})


class GameNameTaken(_Taken):
    reason = "GAME_NAME_TAKEN"
    what = "a game named"


class CategoryNameTaken(_Taken):
    reason = "CATEGORY_NAME_TAKEN"
    what = "in this game, a category named"


class AttributeKeyTaken(_Taken):
    reason = "ATTRIBUTE_KEY_TAKEN"
    what = "in this category, an attribute with the key"
    field = "key"


class TemplateNameTaken(_Taken):
    reason = "TEMPLATE_NAME_TAKEN"
    what = "in this category, a template named"


# In use --------------------------------------------------------------------------------


class _InUse(FailedPrecondition):
    def __init__(self, message: str, **counts: int) -> None:
        super().__init__(message, metadata={name: str(count) for name, count in counts.items()})


class GameHasCategories(_InUse):
    reason = "GAME_HAS_CATEGORIES"

    def __init__(self, categories: int) -> None:
        super().__init__(f"the game has {categories} categories: delete them first", categories=categories)


class CategoryHasItems(_InUse):
    reason = "CATEGORY_HAS_ITEMS"

    def __init__(self, items: int) -> None:
        super().__init__(f"{items} items belong to the category", items=items)


class CategoryHasSubcategories(_InUse):
    reason = "CATEGORY_HAS_SUBCATEGORIES"

    def __init__(self, categories: int) -> None:
        super().__init__(f"the category has {categories} sub-categories: delete them first", categories=categories)


class TemplateHasItems(_InUse):
    reason = "TEMPLATE_HAS_ITEMS"

    def __init__(self, items: int) -> None:
        super().__init__(f"{items} items are made from the template", items=items)


class RequiredAttributeWithItems(_InUse):
    reason = "REQUIRED_ATTRIBUTE_WITH_ITEMS"

    def __init__(self, items: int) -> None:
        super().__init__(
            f"a required attribute cannot be added while {items} items of the category exist without a value "
            "for it: add it as optional, then make it required once every item has a value",
            items=items,
        )


class AttributeChangeBreaksValues(_InUse):
    reason = "ATTRIBUTE_CHANGE_BREAKS_VALUES"

    def __init__(self, items: int, templates: int, problems: Sequence[str]) -> None:
        super().__init__(
            f"the change would make {items} items and {templates} templates invalid ({'; '.join(problems)}): "
            "change or remove those values first",
            items=items,
            templates=templates,
        )


class ItemOwnerChanged(FailedPrecondition):
    reason = "ITEM_OWNER_CHANGED"


# Fields people write -------------------------------------------------------------------


@dataclass(frozen=True)
class GameFields:
    """The fields of a game that people write."""

    name: str
    description: str
    logo_url: str


@dataclass(frozen=True)
class CategoryFields:
    name: str
    description: str
    parent_id: UUID | None = None


@dataclass(frozen=True)
class AttributeFields:
    name: str
    key: str
    type: AttributeType | None
    required: bool = False
    allowed_values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    unit: str = ""
    filterable: bool = False
    display_order: int = 0


@dataclass(frozen=True)
class TemplateFields:
    name: str
    description: str
    image_url: str
    attributes: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class NewItem:
    template_id: UUID | None
    category_id: UUID | None
    name: str
    description: str
    image_url: str
    attributes: dict[str, object] = dataclasses.field(default_factory=dict)


# Updates with a field mask ---------------------------------------------------------------

# The proto paths an update mask may name, and the fields they change.
GAME_MASK = {"name": "name", "description": "description", "logo_url": "logo_url"}
CATEGORY_MASK = {"name": "name", "description": "description", "parent_id": "parent_id"}
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
TEMPLATE_MASK = {"name": "name", "description": "description", "image_url": "image_url", "attributes": "attributes"}

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


# Validation ------------------------------------------------------------------------------


def name_violation(field: str, name: str) -> FieldViolation | None:
    if not name.strip():
        return FieldViolation(field, "must not be blank")
    if len(name.strip()) > MAX_NAME:
        return FieldViolation(field, f"must be at most {MAX_NAME} characters")
    return None


def text_violations(prefix: str, name: str, description: str) -> list[FieldViolation]:
    violations = [name_violation(f"{prefix}name", name)]
    if len(description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}description", f"must be at most {MAX_DESCRIPTION} characters"))
    return [violation for violation in violations if violation]


def _raise(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgument(violations)


def validate_game(fields: GameFields, prefix: str = "game.") -> GameFields:
    """The game with its name trimmed, or INVALID_ARGUMENT listing every problem."""
    violations = text_violations(prefix, fields.name, fields.description)
    if url_problem := url_violation(f"{prefix}logo_url", fields.logo_url):
        violations.append(url_problem)
    _raise(violations)
    return dataclasses.replace(fields, name=fields.name.strip())


def validate_category(fields: CategoryFields, prefix: str = "category.") -> CategoryFields:
    _raise(text_violations(prefix, fields.name, fields.description))
    return dataclasses.replace(fields, name=fields.name.strip())


def _bound_violations(fields: AttributeFields, prefix: str) -> list[FieldViolation]:
    violations = []
    bounds = {"min": fields.min_value, "max": fields.max_value}
    for name, bound in bounds.items():
        if bound is None:
            continue
        if not fields.type or not fields.type.is_numeric:
            violations.append(FieldViolation(f"{prefix}{name}", "only an integer or number attribute has bounds"))
        elif not math.isfinite(bound):
            violations.append(FieldViolation(f"{prefix}{name}", "must be a finite number"))
        elif fields.type is AttributeType.INTEGER and not float(bound).is_integer():
            violations.append(FieldViolation(f"{prefix}{name}", "must be a whole number for an integer attribute"))
    low, high = fields.min_value, fields.max_value
    if not violations and low is not None and high is not None and low > high:
        violations.append(FieldViolation(f"{prefix}max", "must not be below min"))
    return violations


def _allowed_values_violations(fields: AttributeFields, prefix: str) -> list[FieldViolation]:
    field = f"{prefix}allowed_values"
    if fields.type is not AttributeType.ENUM:
        return [FieldViolation(field, "only an enum attribute has allowed values")] if fields.allowed_values else []
    if not fields.allowed_values:
        return [FieldViolation(field, "an enum attribute needs at least one allowed value")]
    if len(fields.allowed_values) > MAX_ALLOWED_VALUES:
        return [FieldViolation(field, f"must have at most {MAX_ALLOWED_VALUES} values")]
    violations = []
    for index, value in enumerate(fields.allowed_values):
        if not value.strip() or len(value) > MAX_NAME or value != value.strip():
            violations.append(
                FieldViolation(f"{field}[{index}]", f"must be 1 to {MAX_NAME} characters without outer spaces")
            )
    if len(set(fields.allowed_values)) != len(fields.allowed_values):
        violations.append(FieldViolation(field, "must not repeat a value"))
    return violations


def validate_attribute(fields: AttributeFields, prefix: str = "attribute.") -> AttributeFields:
    """The definition with its name trimmed, or INVALID_ARGUMENT listing every problem."""
    violations = text_violations(prefix, fields.name, "")
    if not KEY_PATTERN.fullmatch(fields.key):
        violations.append(
            FieldViolation(
                f"{prefix}key", f"must be lower snake case of at most {MAX_KEY} characters, such as 'pattern_index'"
            )
        )
    if fields.type is None:
        violations.append(FieldViolation(f"{prefix}type", "must be one of string, integer, number, boolean, enum"))
    violations += _allowed_values_violations(fields, prefix)
    violations += _bound_violations(fields, prefix)
    if fields.max_length is not None and fields.type is not AttributeType.STRING:
        violations.append(FieldViolation(f"{prefix}max_length", "only a string attribute has a maximum length"))
    elif fields.max_length is not None and not 1 <= fields.max_length <= MAX_LENGTH_LIMIT:
        violations.append(FieldViolation(f"{prefix}max_length", f"must be between 1 and {MAX_LENGTH_LIMIT}"))
    if fields.unit and (not fields.type or not fields.type.is_numeric):
        violations.append(FieldViolation(f"{prefix}unit", "only an integer or number attribute has a unit"))
    elif len(fields.unit) > MAX_UNIT:
        violations.append(FieldViolation(f"{prefix}unit", f"must be at most {MAX_UNIT} characters"))
    _raise(violations)
    return dataclasses.replace(fields, name=fields.name.strip(), unit=fields.unit.strip())


def template_violations(fields: TemplateFields, prefix: str = "template.") -> list[FieldViolation]:
    """Problems of a template's own fields (its values are checked against the category)."""
    violations = text_violations(prefix, fields.name, fields.description)
    if url_problem := url_violation(f"{prefix}image_url", fields.image_url):
        violations.append(url_problem)
    return violations


def item_violations(item: NewItem, prefix: str = "item.") -> list[FieldViolation]:
    """Problems of an item's own fields; its name may stay empty when a template names it."""
    violations = []
    if item.template_id is None and item.category_id is None:
        violations.append(FieldViolation(f"{prefix}template_id", "name a template_id or a category_id"))
    if (item.name or item.template_id is None) and (problem := name_violation(f"{prefix}name", item.name)):
        violations.append(problem)
    if len(item.description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}description", f"must be at most {MAX_DESCRIPTION} characters"))
    if url_problem := url_violation(f"{prefix}image_url", item.image_url):
        violations.append(url_problem)
    return violations
