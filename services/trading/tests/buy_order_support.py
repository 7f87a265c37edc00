"""Helpers of the buy-order tests: a category of rifle skins with filterable typed attributes, requests."""

from datetime import UTC, datetime, timedelta

from google.protobuf import timestamp_pb2

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb

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
