"""Rules of buy orders: what a buyer writes and its checks, the statuses and their moves, and what a
fill that did not go through gives back (services/trading/README.md, "Buy orders")."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, NotFound
from servicekit.filters import Filter
from servicekit.geo import Point
from servicekit.money import Money
from servicekit.runtime_settings.declarations import seconds_text
from trading.domain.listings import MAX_QUERY, MAX_RADIUS_KM, Condition

MAX_QUANTITY = 1000
# The most filters one order carries: each is a row checked against every listing of its category.
MAX_FILTERS = 20


class BuyOrderStatus(enum.StrEnum):
    # Made, its hold being placed: matches nothing yet.
    PENDING = "pending"
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    # The hold could not be placed.
    FAILED = "failed"


# The statuses after which the order's own part of the hold is released (each fill settles its own).
CLOSED = frozenset({BuyOrderStatus.CANCELLED, BuyOrderStatus.EXPIRED, BuyOrderStatus.FAILED})


class BuyOrderNotFound(NotFound):
    reason = "BUY_ORDER_NOT_FOUND"


class BuyOrderNotOpen(FailedPrecondition):
    reason = "BUY_ORDER_NOT_OPEN"


class BuyOrdersDisabled(FailedPrecondition):
    reason = "BUY_ORDERS_DISABLED"


@dataclass(frozen=True)
class BuyOrderTerms:
    """A buy order as its buyer wrote it; the attribute filters as written, parsed once the category's
    definitions are known."""

    category_id: UUID | None
    game_id: UUID | None
    q: str
    attributes: tuple[str, ...]
    conditions: tuple[Condition, ...]
    near: Point | None
    radius_km: float
    max_price: Money | None
    quantity: int
    expire_at: datetime | None


def check_terms(
    terms: BuyOrderTerms, now: datetime, default_lifetime: timedelta, max_lifetime: timedelta
) -> tuple[datetime, list[FieldViolation]]:
    """The order's expiry, and every problem of its terms that the category's definitions do not decide."""
    violations = []
    if terms.category_id is None and terms.game_id is None:
        violations.append(FieldViolation("buy_order.category_id", "is required, or game_id"))
    if terms.attributes and terms.category_id is None:
        violations.append(FieldViolation("buy_order.attributes", "filters on attributes need category_id"))
    if len(terms.attributes) > MAX_FILTERS:
        violations.append(FieldViolation("buy_order.attributes", f"must be at most {MAX_FILTERS} filters"))
    for index, condition in enumerate(terms.attributes):
        if "\x00" in condition:
            violations.append(FieldViolation(f"buy_order.attributes[{index}]", "must not contain NUL characters"))
    if len(terms.q) > MAX_QUERY:
        violations.append(FieldViolation("buy_order.q", f"must be at most {MAX_QUERY} characters"))
    if not 1 <= terms.quantity <= MAX_QUANTITY:
        violations.append(FieldViolation("buy_order.quantity", f"must be from 1 to {MAX_QUANTITY}"))
    if terms.near is not None and not 0 < terms.radius_km <= MAX_RADIUS_KM:
        violations.append(FieldViolation("buy_order.radius_km", f"must be above 0 and at most {MAX_RADIUS_KM:g}"))
    if terms.near is None and terms.radius_km:
        violations.append(FieldViolation("buy_order.near", "is needed with radius_km"))
    expire_at = terms.expire_at or now + default_lifetime
    if expire_at <= now:
        violations.append(FieldViolation("buy_order.expire_time", "must be in the future"))
    elif expire_at > now + max_lifetime:
        violations.append(
            FieldViolation("buy_order.expire_time", f"must be at most {seconds_text(max_lifetime)} ahead")
        )
    return expire_at, violations


def impossible_ranges(filters: list[Filter]) -> list[FieldViolation]:
    """Filters that no value of their attribute can meet: a range wholly outside the bounds catalog gives
    the attribute, or two filters on one key whose ranges do not overlap (the parser refuses min > max
    within one)."""
    violations = []
    low_by_key: dict[str, float] = {}
    high_by_key: dict[str, float] = {}
    for index, condition in enumerate(filters):
        attribute = condition.attribute
        path = f"buy_order.attributes[{index}]"
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
            violations.append(FieldViolation(path, f"leaves no value of {key} between the order's other bounds"))
    return violations


def cancel(status: BuyOrderStatus) -> BuyOrderStatus:
    if status is not BuyOrderStatus.OPEN:
        raise BuyOrderNotOpen(f"a {status.value} buy order cannot be cancelled", metadata={"status": status.value})
    return BuyOrderStatus.CANCELLED


def takes_back_unit(status: BuyOrderStatus, expire_at: datetime, now: datetime) -> bool:
    """Whether a fill that did not go through gives its unit back to the order (which then buys another
    listing with it) rather than releasing its part of the hold: while the order is open, or filled
    and not yet past its expiry."""
    return status is BuyOrderStatus.OPEN or (status is BuyOrderStatus.FILLED and expire_at > now)


def status_after_fill(quantity_filled: int, quantity: int) -> BuyOrderStatus:
    return BuyOrderStatus.FILLED if quantity_filled >= quantity else BuyOrderStatus.OPEN


def left_to_release(max_price_minor: int, quantity: int, quantity_filled: int) -> int:
    """The order's own part of its hold when it closes: a max_price for each unit no fill took."""
    return max_price_minor * (quantity - quantity_filled)


class BuyOrderFailed(FailedPrecondition):
    """An order whose hold could not be placed; `reason` is accounts' (INSUFFICIENT_FUNDS, BUYER_NOT_FOUND)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
