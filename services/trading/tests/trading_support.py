"""Helpers of the trading service tests (fixtures are in conftest.py): `from .trading_support import ...`."""

from dataclasses import dataclass

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.common.v1 import money_pb2
from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.databases import execute
from testkit.stack import Stack
from testkit.values import values

T = catalog_pb2.AttributeType
# The attributes of the free-form category the tests list things in.
SHOE_ATTRIBUTES = (
    catalog_pb2.Attribute(name="Size", key="size", type=T.ATTRIBUTE_TYPE_INTEGER, required=True, min=30, max=50),
    catalog_pb2.Attribute(
        name="Colour", key="colour", type=T.ATTRIBUTE_TYPE_ENUM, allowed_values=["black", "white", "red"]
    ),
)
SKIN_ATTRIBUTES = (
    catalog_pb2.Attribute(name="Wear", key="wear", type=T.ATTRIBUTE_TYPE_NUMBER, required=True, min=0, max=1),
)


@dataclass(frozen=True)
class Person:
    id: str
    auth: tuple


def eur(amount_minor: int, currency: str = "EUR") -> money_pb2.Money:
    return money_pb2.Money(currency=currency, amount_minor=amount_minor)


def free_form(
    category_id: str, *, attributes: dict | None = None, draft: bool = False, **fields
) -> pb.CreateListingRequest:
    """A listing of sneakers in the category; fields override the defaults."""
    listing = resources_pb2.Listing(
        title=fields.pop("title", "Used sneakers"),
        category_id=category_id,
        price=fields.pop("price", eur(4500)),
        attributes=values(**(attributes if attributes is not None else {"size": 44})),
        **fields,
    )
    return pb.CreateListingRequest(listing=listing, draft=draft)


def of_item(item_id: str, **fields) -> pb.CreateListingRequest:
    listing = resources_pb2.Listing(item_id=item_id, price=fields.pop("price", eur(1200)), **fields)
    return pb.CreateListingRequest(listing=listing)


def get(listing_id: str) -> pb.GetListingRequest:
    return pb.GetListingRequest(listing_id=listing_id)


def publish(listing_id: str) -> pb.PublishListingRequest:
    return pb.PublishListingRequest(listing_id=listing_id)


def cancel(listing_id: str) -> pb.CancelListingRequest:
    return pb.CancelListingRequest(listing_id=listing_id)


def like(listing_id: str) -> pb.LikeListingRequest:
    return pb.LikeListingRequest(listing_id=listing_id)


def unlike(listing_id: str) -> pb.UnlikeListingRequest:
    return pb.UnlikeListingRequest(listing_id=listing_id)


async def set_status(stack: Stack, listing_id: str, status: str) -> None:
    """Moves a listing by hand to a status no RPC reaches yet (reserved, sold: a purchase's)."""
    await execute(stack.database_urls["trading"], "UPDATE listings SET status = $2 WHERE id = $1", listing_id, status)
