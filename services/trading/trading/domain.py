"""Rules of trading: no I/O, no proto, no clock."""

from dataclasses import dataclass

from servicekit.errors import FieldViolation, NotFound
from servicekit.geo import Point
from servicekit.money import Money
from trading.models import Condition, Feed

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000


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
