"""Typed attribute filters, such as "wear:0..0.07", "rarity:Covert|Classified" or "stattrak:true".

One parser for every list that filters on a category's attributes: catalog's items and trading's
listing search. It reads the attribute definitions through `FilterableAttribute`, so each context
passes its own shape of them.
"""

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_

from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.values import Scalar

TRUE_WORDS = {"true": True, "false": False}


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


class FilterableAttribute(Protocol):
    """What the parser reads of an attribute definition."""

    @property
    def key(self) -> str: ...

    @property
    def type(self) -> AttributeType | None: ...

    @property
    def allowed_values(self) -> tuple[str, ...]: ...

    @property
    def filterable(self) -> bool: ...


A = TypeVar("A", bound=FilterableAttribute)


@dataclass(frozen=True)
class Filter(Generic[A]):
    """One condition on an attribute: any of `values`, or a range with inclusive bounds."""

    attribute: A
    values: tuple[Scalar, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _parse_scalar(attribute: FilterableAttribute, text: str) -> tuple[Scalar | None, str | None]:
    if attribute.type is AttributeType.BOOLEAN:
        if text.lower() not in TRUE_WORDS:
            return None, f"{text!r} is not true or false"
        return TRUE_WORDS[text.lower()], None
    if attribute.type.is_numeric:
        try:
            number = float(text)
        except ValueError:
            return None, f"{text!r} is not a number"
        return (number, None) if math.isfinite(number) else (None, f"{text!r} is not a finite number")
    if attribute.type is AttributeType.ENUM and text not in attribute.allowed_values:
        return None, f"{text!r} is not one of {', '.join(attribute.allowed_values)}"
    return text, None


def _parse_filter(attribute: A, condition: str) -> tuple[Filter[A] | None, str | None]:
    if ".." in condition:
        if not attribute.type.is_numeric:
            return None, "a range needs an integer or number attribute"
        low_text, _, high_text = condition.partition("..")
        bounds = []
        for text in (low_text.strip(), high_text.strip()):
            bound, problem = _parse_scalar(attribute, text) if text else (None, None)
            if problem:
                return None, problem
            bounds.append(bound)
        if bounds == [None, None]:
            return None, "a range needs at least one bound, as in 'wear:0..0.07'"
        if None not in bounds and bounds[0] > bounds[1]:
            return None, f"the range's lower bound {bounds[0]:g} is above its upper bound {bounds[1]:g}"
        return Filter(attribute, minimum=bounds[0], maximum=bounds[1]), None
    values = []
    for text in condition.split("|"):
        value, problem = _parse_scalar(attribute, text.strip())
        if problem:
            return None, problem
        values.append(value)
    return Filter(attribute, values=tuple(values)), None


def parse_filters(attributes: Iterable[A], conditions: Sequence[str], field: str = "attributes") -> list[Filter[A]]:
    """Filters of "key:value", "key:min..max" or "key:a|b" on filterable attributes, or every problem."""
    by_key = {attribute.key: attribute for attribute in attributes}
    filters, violations = [], []
    for index, condition in enumerate(conditions):
        path = f"{field}[{index}]"
        key, colon, rest = condition.partition(":")
        attribute = by_key.get(key.strip())
        if not colon or not rest.strip():
            violations.append(FieldViolation(path, "must be 'key:value', 'key:min..max' or 'key:a|b'"))
        elif attribute is None:
            violations.append(FieldViolation(path, f"{key.strip()!r} is not an attribute of the category"))
        elif not attribute.filterable:
            violations.append(FieldViolation(path, f"{attribute.key!r} is not filterable"))
        else:
            parsed, problem = _parse_filter(attribute, rest.strip())
            if problem:
                violations.append(FieldViolation(path, problem))
            else:
                filters.append(parsed)
    if violations:
        raise InvalidArgument(violations)
    return filters


def value_condition(
    condition: Filter, value_string: ColumnElement, value_number: ColumnElement, value_boolean: ColumnElement
) -> ColumnElement[bool]:
    """The filter as a condition on a typed value row (one column per type, as catalog's and trading's
    value tables store them): equality or IN on the value's column, or its inclusive bounds."""
    kind = condition.attribute.type
    column = value_number if kind.is_numeric else value_boolean if kind is AttributeType.BOOLEAN else value_string
    if condition.values:
        values = condition.values
        return column == values[0] if len(values) == 1 else column.in_(values)
    bounds = []
    if condition.minimum is not None:
        bounds.append(column >= condition.minimum)
    if condition.maximum is not None:
        bounds.append(column <= condition.maximum)
    return and_(*bounds)
