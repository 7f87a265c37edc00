"""Rules of trading: no I/O, no proto, no clock."""

from dataclasses import dataclass
from datetime import timedelta

from servicekit.errors import FieldViolation, NotFound
from servicekit.geo import Point
from servicekit.money import Money
from servicekit.runtime_settings import ON, Flag, RuntimeSettings, setting
from servicekit.runtime_settings.declarations import seconds_text
from trading.models import Condition, Feed

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000


@dataclass(frozen=True)
class TradingRuntimeSettings(RuntimeSettings):
    """What trading's admins tune while it runs (GET|PATCH /v1/trading/settings)."""

    platform_fee_bps: int = setting(
        500, "The marketplace's fee on each sale, in basis points of the price (500 is 5%).", minimum=0, maximum=5000
    )
    offer_default_lifetime: timedelta = setting(
        timedelta(days=2),
        "How long an offer stays open when its buyer sets no expiry.",
        minimum=timedelta(minutes=5),
        maximum=timedelta(days=30),
    )
    offer_max_lifetime: timedelta = setting(
        timedelta(days=7),
        "The longest a buyer may keep an offer open.",
        minimum=timedelta(minutes=5),
        maximum=timedelta(days=30),
    )
    auto_complete_after: timedelta = setting(
        timedelta(days=14),
        "How long a paid purchase of a physical item waits for its buyer to confirm receipt before it "
        "completes by itself and pays the seller.",
        minimum=timedelta(days=1),
        maximum=timedelta(days=60),
    )
    offers_enabled: Flag = setting(ON, "Buyers may make offers on listings.")
    streams_enabled: Flag = setting(ON, "Sellers may schedule and run live streams.")
    buy_orders_enabled: Flag = setting(ON, "Buyers may place buy orders.")

    def conflicts(self) -> dict[str, str]:
        if self.offer_default_lifetime > self.offer_max_lifetime:
            limit = seconds_text(self.offer_max_lifetime)
            return {"offer_default_lifetime": f"must not be longer than offer_max_lifetime ({limit})"}
        return {}


class ListingNotFound(NotFound):
    reason = "LISTING_NOT_FOUND"


@dataclass(frozen=True)
class NewListing:
    """A free-form listing as its seller describes it."""

    title: str
    description: str
    condition: Condition | None
    price: Money
    location: Point | None
    feed: Feed


def validate_listing(
    title: str, description: str, violations: list[FieldViolation], prefix: str = "listing."
) -> tuple[str, str]:
    """The trimmed title and the description; every problem is added to violations."""
    title = title.strip()
    if not title:
        violations.append(FieldViolation(f"{prefix}title", "is required for a listing without an item"))
    elif len(title) > MAX_TITLE:
        violations.append(FieldViolation(f"{prefix}title", f"must be at most {MAX_TITLE} characters"))
    if len(description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}description", f"must be at most {MAX_DESCRIPTION} characters"))
    return title, description
