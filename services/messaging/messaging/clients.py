"""The other contexts messaging calls, through their gRPC stubs with deadlines."""

from dataclasses import dataclass
from uuid import UUID

import grpc

from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from messaging.domain import ListingNotFound
from servicekit.errors import Unavailable


@dataclass(frozen=True)
class ListingRef:
    id: UUID
    seller_id: UUID


class Trading:
    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = trading_service_pb2_grpc.TradingServiceStub(channel)
        self._timeout = timeout

    async def listing(self, listing_id: UUID) -> ListingRef:
        try:
            listing = await self._stub.GetListing(
                trading_service_pb2.GetListingRequest(listing_id=str(listing_id)), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.NOT_FOUND:
                raise ListingNotFound(f"listing {listing_id} does not exist") from exc
            raise Unavailable(f"trading did not answer: {exc.code().name}") from exc
        return ListingRef(id=UUID(listing.id), seller_id=UUID(listing.seller_id))
