import uuid

import grpc
import pytest

from marketplace.common.v1 import location_pb2, money_pb2
from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.grpc import field_violations


def free_form(**fields) -> pb.CreateListingRequest:
    listing = resources_pb2.Listing(
        title=fields.pop("title", "Used sneakers"),
        price=fields.pop("price", money_pb2.Money(currency="EUR", amount_minor=4500)),
        **fields,
    )
    return pb.CreateListingRequest(listing=listing)


async def test_a_seller_lists_a_thing_and_anyone_reads_it(trading, seller):
    request = free_form(
        condition=resources_pb2.CONDITION_GOOD, location=location_pb2.Location(latitude=52.52, longitude=13.405)
    )
    created = await trading.CreateListing(request, metadata=seller)
    fetched = await trading.GetListing(pb.GetListingRequest(listing_id=created.id))
    assert fetched.status == resources_pb2.LISTING_STATUS_ACTIVE
    assert fetched.feed == resources_pb2.FEED_DISCOVER
    assert fetched.price.amount_minor == 4500 and fetched.price.currency == "EUR"
    assert fetched.condition == resources_pb2.CONDITION_GOOD
    assert (round(fetched.location.latitude, 6), round(fetched.location.longitude, 6)) == (52.52, 13.405)
    assert fetched.seller_id == created.seller_id


async def test_every_problem_of_a_listing_is_reported_at_once(trading, seller):
    request = free_form(
        title=" ",
        price=money_pb2.Money(currency="euro", amount_minor=-1),
        location=location_pb2.Location(latitude=91, longitude=0),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await trading.CreateListing(request, metadata=seller)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(err.value)) == {
        "listing.title",
        "listing.price.currency",
        "listing.price.amount_minor",
        "listing.location.latitude",
    }


async def test_a_price_is_required(trading, seller):
    request = pb.CreateListingRequest(listing=resources_pb2.Listing(title="x"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await trading.CreateListing(request, metadata=seller)
    assert "listing.price" in field_violations(err.value)


async def test_a_repeated_request_id_lists_once(trading, seller):
    request = free_form()
    request.request_id = uuid.uuid4().hex
    first = await trading.CreateListing(request, metadata=seller)
    again = await trading.CreateListing(request, metadata=seller)
    assert first.id == again.id


async def test_listing_needs_a_signed_in_seller(trading):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await trading.CreateListing(free_form())
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_an_unknown_listing_is_not_found(trading):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await trading.GetListing(pb.GetListingRequest(listing_id=str(uuid.uuid4())))
    assert err.value.code() is grpc.StatusCode.NOT_FOUND
