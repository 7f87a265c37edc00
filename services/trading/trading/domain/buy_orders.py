"""Rules of buy orders: what a buyer writes and its checks, the statuses and their moves, and what a
fill that did not go through gives back (services/trading/README.md, "Buy orders")."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicekit.errors import FailedPrecondition, FieldViolation, NotFound
from servicekit.runtime_settings.declarations import seconds_text
from trading.domain.standing_queries import QueryTerms

MAX_QUANTITY = 1000


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
    """A buy order as its buyer wrote it: what it asks of the listings, how many, until when."""

    query: QueryTerms
    quantity: int
    expire_at: datetime | None


def check_terms(
    terms: BuyOrderTerms, now: datetime, default_lifetime: timedelta, max_lifetime: timedelta
) -> tuple[datetime, list[FieldViolation]]:
    """The order's expiry, and what is wrong with its quantity and expiry (its query's terms are checked as
    every standing query's, trading.service.standing_queries)."""
    violations = []
    if not 1 <= terms.quantity <= MAX_QUANTITY:
        violations.append(FieldViolation("buy_order.quantity", f"must be from 1 to {MAX_QUANTITY}"))
    expire_at = terms.expire_at or now + default_lifetime
    if expire_at <= now:
        violations.append(FieldViolation("buy_order.expire_time", "must be in the future"))
    elif expire_at > now + max_lifetime:
        violations.append(
            FieldViolation("buy_order.expire_time", f"must be at most {seconds_text(max_lifetime)} ahead")
        )
    return expire_at, violations


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
