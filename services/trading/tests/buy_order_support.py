"""Helpers of the buy-order tests: a category of rifle skins with filterable typed attributes, requests."""

from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.databases import fetch
from testkit.stack import Stack
from testkit.waiting import eventually

from .trading_support import eur

T = catalog_pb2.AttributeType
RIFLE_ATTRIBUTES = (
    catalog_pb2.Attribute(
        name="Wear", key="wear", type=T.ATTRIBUTE_TYPE_NUMBER, required=True, min=0, max=1, filterable=True
    ),
    catalog_pb2.Attribute(
        name="Rarity",
        key="rarity",
        type=T.ATTRIBUTE_TYPE_ENUM,
        allowed_values=["Covert", "Classified", "Restricted"],
        filterable=True,
    ),
    catalog_pb2.Attribute(name="Stickers", key="stickers", type=T.ATTRIBUTE_TYPE_BOOLEAN, filterable=True),
)
# Physical goods: a required filterable integer size.
SNEAKER_ATTRIBUTES = (
    catalog_pb2.Attribute(
        name="Size", key="size", type=T.ATTRIBUTE_TYPE_INTEGER, required=True, min=30, max=50, filterable=True
    ),
)


def order(
    category_id: str, max_price: int = 2000, *attributes: str, request_id: str = "", **fields
) -> pb.CreateBuyOrderRequest:
    """An order in the category for at most max_price EUR cents; fields override the rest."""
    buy_order = resources_pb2.BuyOrder(
        category_id=category_id, attributes=list(attributes), max_price=fields.pop("price", eur(max_price)), **fields
    )
    return pb.CreateBuyOrderRequest(buy_order=buy_order, request_id=request_id)


def in_hours(hours: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(hours=hours))
    return stamp


def get_order(order_id: str) -> pb.GetBuyOrderRequest:
    return pb.GetBuyOrderRequest(buy_order_id=order_id)


def cancel_order(order_id: str) -> pb.CancelBuyOrderRequest:
    return pb.CancelBuyOrderRequest(buy_order_id=order_id)


async def matcher_caught_up(stack: Stack) -> None:
    """Waits until the stack's buy-order matcher has read every event written so far (trading.consumers)."""
    url = stack.database_urls["trading"]
    [newest] = await fetch(url, "SELECT txid, id FROM outbox_events ORDER BY txid DESC, id DESC LIMIT 1")

    async def passed() -> bool:
        rows = await fetch(
            url, "SELECT txid, event_id FROM outbox_consumers WHERE consumer = 'trading/buy-order-matcher'"
        )
        return bool(rows) and (rows[0]["txid"], rows[0]["event_id"]) >= (newest["txid"], newest["id"])

    await eventually(passed, True, 5)
