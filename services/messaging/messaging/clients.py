"""The other contexts messaging calls, through their gRPC stubs with deadlines."""

from dataclasses import dataclass
from uuid import UUID

import grpc

from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from messaging.domain.conversations import ListingNotFound
from servicekit.calls import ask


@dataclass(frozen=True)
class ListingRef:
    id: UUID
    seller_id: UUID


class Trading:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = trading_service_pb2_grpc.TradingServiceStub(channel)
        self._timeout = timeout

    async def listing(self, listing_id: UUID) -> ListingRef:
        request = trading_service_pb2.GetListingRequest(listing_id=str(listing_id))
        listing = await ask("trading", self._stub.GetListing, request, self._timeout)
        if listing is None:
            raise ListingNotFound(f"listing {listing_id} does not exist")
        return ListingRef(id=UUID(listing.id), seller_id=UUID(listing.seller_id))
