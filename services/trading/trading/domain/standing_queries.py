"""Standing queries: what a listing must be to match a query kept to be matched against every listing
that goes on sale or changes (services/trading/README.md, "Buy orders", "Matching"). A buy order is
one kind, a saved search another; both store their predicates the same way, are written with the same
terms and checked by the same rules, and are matched by the same query."""

import enum
from dataclasses import dataclass
from uuid import UUID

from servicekit.errors import FieldViolation
from servicekit.filters import Filter
from servicekit.geo import Point
from servicekit.money import Money
from trading.domain.listings import MAX_QUERY, MAX_RADIUS_KM, Condition

# The most filters one query carries: each is a row checked against every listing of its category.
MAX_FILTERS = 20


class StandingQueryKind(enum.StrEnum):
    BUY_ORDER = "buy_order"
    SAVED_SEARCH = "saved_search"

    @property
    def always_capped(self) -> bool:
        """Whether every query of the kind has a price cap (a buy order's max_price); a saved search may not."""
        return self is StandingQueryKind.BUY_ORDER


@dataclass(frozen=True)
class QueryTerms:
    """What an owner asks of the listings, as written; the attribute filters parsed once the category's
    definitions are known."""

    category_id: UUID | None
    game_id: UUID | None
    q: str
    attributes: tuple[str, ...]
    conditions: tuple[Condition, ...]
    near: Point | None
    radius_km: float
    max_price: Money | None


def check_terms(terms: QueryTerms, field: str) -> list[FieldViolation]:
    """Every problem of the terms that the category's definitions do not decide, named under `field`."""
    violations = []
    if terms.category_id is None and terms.game_id is None:
        violations.append(FieldViolation(f"{field}.category_id", "is required, or game_id"))
    if terms.attributes and terms.category_id is None:
        violations.append(FieldViolation(f"{field}.attributes", "filters on attributes need category_id"))
    if len(terms.attributes) > MAX_FILTERS:
        violations.append(FieldViolation(f"{field}.attributes", f"must be at most {MAX_FILTERS} filters"))
    # PostgreSQL text holds no NUL: refused here rather than failing in the database.
    for index, condition in enumerate(terms.attributes):
        if "\x00" in condition:
            violations.append(FieldViolation(f"{field}.attributes[{index}]", "must not contain NUL characters"))
    if "\x00" in terms.q:
        violations.append(FieldViolation(f"{field}.q", "must not contain NUL characters"))
    if len(terms.q) > MAX_QUERY:
        violations.append(FieldViolation(f"{field}.q", f"must be at most {MAX_QUERY} characters"))
    if terms.near is not None and not 0 < terms.radius_km <= MAX_RADIUS_KM:
        violations.append(FieldViolation(f"{field}.radius_km", f"must be above 0 and at most {MAX_RADIUS_KM:g}"))
    if terms.near is None and terms.radius_km:
        violations.append(FieldViolation(f"{field}.near", "is needed with radius_km"))
    return violations


def impossible_ranges(filters: list[Filter], field: str) -> list[FieldViolation]:
    """Filters that no value of their attribute can meet: a range wholly outside the bounds catalog gives
    the attribute, or two filters on one key whose ranges do not overlap (the parser refuses min > max
    within one)."""
    violations = []
    low_by_key: dict[str, float] = {}
    high_by_key: dict[str, float] = {}
    for index, condition in enumerate(filters):
        attribute = condition.attribute
        path = f"{field}.attributes[{index}]"
        if (
            condition.minimum is not None
            and attribute.max_value is not None
            and condition.minimum > attribute.max_value
        ):
            violations.append(
                FieldViolation(path, f"{attribute.key} is at most {attribute.max_value:g}: nothing matches")
            )
        elif (
            condition.maximum is not None
            and attribute.min_value is not None
            and condition.maximum < attribute.min_value
        ):
            violations.append(
                FieldViolation(path, f"{attribute.key} is at least {attribute.min_value:g}: nothing matches")
            )
        if condition.minimum is not None:
            low_by_key[attribute.key] = max(condition.minimum, low_by_key.get(attribute.key, condition.minimum))
        if condition.maximum is not None:
            high_by_key[attribute.key] = min(condition.maximum, high_by_key.get(attribute.key, condition.maximum))
        key = attribute.key
        if key in low_by_key and key in high_by_key and low_by_key[key] > high_by_key[key]:
            violations.append(FieldViolation(path, f"leaves no value of {key} between the query's other bounds"))
    return violations


@dataclass(frozen=True)
class Predicates:
    """What a listing must be to match a standing query, typed: its category (or game), words its text
    holds, attribute filters parsed against the category, conditions, a circle, and a price cap."""

    category_id: UUID | None
    game_id: UUID | None
    words: str = ""
    filters: tuple[Filter, ...] = ()
    conditions: tuple[Condition, ...] = ()
    near: Point | None = None
    radius_km: float | None = None
    max_price: Money | None = None
