"""Rules of listings: their statuses and the legal moves between them, what a seller writes, and who sees what."""

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from servicekit.auth import Call
from servicekit.errors import AlreadyExists, FailedPrecondition, FieldViolation, NotFound, PermissionDenied
from servicekit.geo import Point
from servicekit.money import Money
from servicekit.urls import url_violation
from servicekit.values import Scalar
from trading.domain.moves import moved

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_IMAGES = 10
# What a search or a standing query may ask of listings: the longest `q` read, in characters, and the
# widest radius, half the earth's circumference (about anywhere from anywhere).
MAX_QUERY = 500
MAX_RADIUS_KM = 20_000.0


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RESERVED = "reserved"
    SOLD = "sold"
    CANCELLED = "cancelled"


class Feed(enum.StrEnum):
    DISCOVER = "discover"
    COMMUNITY = "community"


class Condition(enum.StrEnum):
    NEW = "new"
    LIKE_NEW = "like_new"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class Move(enum.StrEnum):
    """What changes a listing's status: the seller publishes or cancels it; a purchase reserves it,
    then sells it or, when the payment fails or is refunded, releases it back on sale, or withdraws it
    when its game item turns out gone."""

    PUBLISH = "publish"
    CANCEL = "cancel"
    RESERVE = "reserve"
    RELEASE = "release"
    SELL = "sell"
    WITHDRAW = "withdraw"


S = ListingStatus
# Each move: the statuses it starts from, and the one it leads to. Sold and cancelled are final.
MOVES: dict[Move, tuple[frozenset[ListingStatus], ListingStatus]] = {
    Move.PUBLISH: (frozenset({S.DRAFT}), S.ACTIVE),
    Move.CANCEL: (frozenset({S.DRAFT, S.ACTIVE}), S.CANCELLED),
    Move.RESERVE: (frozenset({S.ACTIVE}), S.RESERVED),
    Move.RELEASE: (frozenset({S.RESERVED}), S.ACTIVE),
    Move.SELL: (frozenset({S.RESERVED}), S.SOLD),
    Move.WITHDRAW: (frozenset({S.RESERVED}), S.CANCELLED),
}
# Anyone sees these; a draft or a cancelled listing only its seller.
PUBLIC = frozenset({S.ACTIVE, S.RESERVED, S.SOLD})
# The seller may change a listing in these; a reserved one is in a purchase, the others are over.
EDITABLE = frozenset({S.DRAFT, S.ACTIVE})


class ListingNotFound(NotFound):
    reason = "LISTING_NOT_FOUND"


class NotListingSeller(PermissionDenied):
    reason = "NOT_LISTING_SELLER"


class NotItemOwner(PermissionDenied):
    reason = "NOT_ITEM_OWNER"


class ItemAlreadyListed(AlreadyExists):
    reason = "ITEM_ALREADY_LISTED"


class ListingNotEditable(FailedPrecondition):
    reason = "LISTING_NOT_EDITABLE"


def move(current: ListingStatus, how: Move) -> ListingStatus:
    """The status the move leads to from `current`; FAILED_PRECONDITION when it does not start there."""
    return moved(MOVES, current, how, "listing")


def check_editable(status: ListingStatus) -> None:
    if status not in EDITABLE:
        raise ListingNotEditable(
            f"a {status.value} listing cannot be changed; only drafts and active listings can",
            metadata={"status": status.value},
        )


def visible_to(status: ListingStatus, seller_id: UUID, user_id: UUID | None) -> bool:
    return status in PUBLIC or seller_id == user_id


def check_seller(seller_id: UUID, user_id: UUID) -> None:
    if seller_id != user_id:
        raise NotListingSeller("only the listing's seller may do this")


def counts_as_view(call: Call | None, owner_id: UUID) -> bool:
    """A person other than its owner (a listing's seller, a stream's owner) opened it: signed in or not,
    but not another service."""
    if call is None or call.service is not None:
        return False
    return call.caller is None or call.caller.user_id != owner_id


@dataclass(frozen=True)
class ListingFields:
    """What a seller writes about a listing: all of it at creation, what the mask names in an update."""

    item_id: UUID | None = None
    category_id: UUID | None = None
    title: str = ""
    description: str = ""
    condition: Condition | None = None
    # As sent, until catalog has checked them (then as catalog stores them).
    attributes: dict[str, object] = dataclasses.field(default_factory=dict)
    price: Money | None = None
    location: Point | None = None
    feed: Feed = Feed.DISCOVER
    image_urls: tuple[str, ...] = ()
    video_url: str = ""
    thumbnail_url: str = ""


# The proto paths an update mask may name, and the fields they change; price and location are
# replaced whole (a mask's `price.amount_minor` names `price`). The catalog references never change.
LISTING_MASK = {
    name: name
    for name in (
        "title",
        "description",
        "condition",
        "attributes",
        "price",
        "location",
        "feed",
        "image_urls",
        "video_url",
        "thumbnail_url",
    )
}
LISTING_IMMUTABLE = {"item_id": "item_id", "category_id": "category_id"}


def mask_fields(paths: Iterable[str]) -> list[str]:
    """The top-level fields a mask names, in order, once each; "*" names every field a seller may change."""
    names = [name for path in paths for name in (LISTING_MASK if path == "*" else [path.split(".", 1)[0]])]
    return list(dict.fromkeys(names))


def changed_fields(before: ListingFields, after: ListingFields) -> list[str]:
    return [name for name in LISTING_MASK if getattr(before, name) != getattr(after, name)]


@dataclass(frozen=True)
class CatalogFacts:
    """What catalog says about what a listing sells: its category and game and the values as
    catalog stores them; for an item, also its name and picture."""

    category_id: UUID
    game_id: UUID
    attributes: dict[str, Scalar]
    name: str = ""
    image_url: str = ""


def with_catalog_facts(fields: ListingFields, facts: CatalogFacts) -> ListingFields:
    """The listing as stored: catalog's category and values; an item's name and picture unless the seller gave their own."""
    return dataclasses.replace(
        fields,
        category_id=facts.category_id,
        attributes=facts.attributes,
        title=fields.title or facts.name,
        image_urls=fields.image_urls or ((facts.image_url,) if facts.image_url else ()),
    )


def item_violations(fields: ListingFields, facts: CatalogFacts, prefix: str = "listing.") -> list[FieldViolation]:
    """What a listing of a catalog item may not say itself: the item's category and values are the item's."""
    violations = []
    if fields.category_id not in (None, facts.category_id):
        violations.append(FieldViolation(f"{prefix}category_id", "must be the item's category or empty"))
    if fields.attributes and fields.attributes != facts.attributes:
        violations.append(FieldViolation(f"{prefix}attributes", "are the item's values; leave them out"))
    return violations


def unsupported(value: object) -> bool:
    """Null, a list or an object: no attribute takes one."""
    return not isinstance(value, Scalar)


def check_fields(fields: ListingFields, prefix: str = "listing.") -> tuple[ListingFields, list[FieldViolation]]:
    """The fields with the title trimmed, and every problem of the seller's own text and links."""
    violations: list[FieldViolation] = []
    title = fields.title.strip()
    if not title and fields.item_id is None:
        violations.append(FieldViolation(f"{prefix}title", "is required for a listing without an item"))
    elif len(title) > MAX_TITLE:
        violations.append(FieldViolation(f"{prefix}title", f"must be at most {MAX_TITLE} characters"))
    if len(fields.description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}description", f"must be at most {MAX_DESCRIPTION} characters"))
    for key, value in fields.attributes.items():
        if unsupported(value):
            violations.append(FieldViolation(f"{prefix}attributes.{key}", "must be a string, a number, true or false"))
    if len(fields.image_urls) > MAX_IMAGES:
        violations.append(FieldViolation(f"{prefix}image_urls", f"must be at most {MAX_IMAGES} links"))
    for index, url in enumerate(fields.image_urls):
        problem = url_violation(f"{prefix}image_urls[{index}]", url)
        if problem or not url:
            violations.append(problem or FieldViolation(f"{prefix}image_urls[{index}]", "must not be empty"))
    for name in ("video_url", "thumbnail_url"):
        if problem := url_violation(f"{prefix}{name}", getattr(fields, name)):
            violations.append(problem)
    return dataclasses.replace(fields, title=title), violations
