"""The trading gRPC servicer: proto <-> domain, nothing else."""

from grpc.aio import ServicerContext

from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from marketplace.trading.v1 import trading_service_pb2_grpc as pb_grpc
from servicekit import enums
from servicekit.admin import AdminMethods
from servicekit.auth import require_caller
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.geo import check_location, point_from_wkb
from servicekit.idempotency import Once
from servicekit.ids import parse_id
from servicekit.money import Money, check_money
from servicekit.runtime_settings import SettingsStore
from trading import domain, service
from trading.domain import TradingRuntimeSettings
from trading.models import Condition, Feed, Listing


def listing_to_proto(listing: Listing) -> resources_pb2.Listing:
    location = point_from_wkb(listing.location)
    return resources_pb2.Listing(
        id=str(listing.id),
        seller_id=str(listing.seller_id),
        title=listing.title,
        description=listing.description,
        condition=enums.to_proto(resources_pb2.Condition, listing.condition),
        price=Money(listing.currency, listing.price_minor).to_proto(),
        location=location.to_proto() if location else None,
        feed=enums.to_proto(resources_pb2.Feed, listing.feed),
        status=enums.to_proto(resources_pb2.ListingStatus, listing.status),
        create_time=timestamp(listing.created_at),
        update_time=timestamp(listing.updated_at),
    )


def new_listing_from_proto(listing: resources_pb2.Listing) -> domain.NewListing:
    violations: list[FieldViolation] = []
    if listing.item_id or listing.category_id or listing.attributes:
        raise NotImplementedError("listings of catalog items and typed attributes are not available yet")
    price = check_money("listing.price", listing.price, violations)
    location = (
        check_location("listing.location", listing.location, violations) if listing.HasField("location") else None
    )
    condition = enums.from_proto(resources_pb2.Condition, Condition, listing.condition, "listing.condition", violations)
    feed = enums.from_proto(resources_pb2.Feed, Feed, listing.feed, "listing.feed", violations)
    title, description = domain.validate_listing(listing.title, listing.description, violations)
    if violations:
        raise InvalidArgument(violations)
    return domain.NewListing(
        title=title,
        description=description,
        condition=condition,
        price=price,
        location=location,
        feed=feed or Feed.DISCOVER,
    )


class TradingApi(AdminMethods, pb_grpc.TradingServiceServicer):
    def __init__(self, db: Database, runtime_settings: SettingsStore[TradingRuntimeSettings]) -> None:
        super().__init__(db, runtime_settings)

    async def CreateListing(self, request: pb.CreateListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        new = new_listing_from_proto(request.listing)
        listing = await service.create_listing(self._db, require_caller(), new, Once.of(request, listing_to_proto))
        return listing_to_proto(listing)

    async def GetListing(self, request: pb.GetListingRequest, context: ServicerContext) -> resources_pb2.Listing:
        return listing_to_proto(await service.get_listing(self._db, parse_id("listing_id", request.listing_id)))
