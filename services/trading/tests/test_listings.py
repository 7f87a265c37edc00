import uuid

import grpc

from devstack.ports import free_port
from marketplace.accounts.v1 import accounts_service_pb2 as accounts_pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.accounts.v1 import resources_pb2 as accounts_resources
from marketplace.common.v1 import location_pb2
from marketplace.trading.v1 import resources_pb2, trading_service_pb2_grpc
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.grpc import error_reason, field_violations, rpc_error
from testkit.stack import replica
from testkit.tokens import bearer
from testkit.values import plain

from .trading_support import eur, free_form

BERLIN = location_pb2.Location(latitude=52.52, longitude=13.405)


async def test_a_seller_lists_a_thing_in_a_category_and_anyone_reads_it(trading, seller, shoes):
    request = free_form(
        shoes.id,
        attributes={"size": 44, "colour": "black"},
        condition=resources_pb2.CONDITION_GOOD,
        location=BERLIN,
        image_urls=["https://img.example.com/1.jpg", "https://img.example.com/2.jpg"],
        video_url="https://video.example.com/v/1",
        thumbnail_url="https://img.example.com/1-small.jpg",
    )
    created = await trading.CreateListing(request, metadata=seller.auth)
    fetched = await trading.GetListing(pb.GetListingRequest(listing_id=created.id))
    assert fetched.status == resources_pb2.LISTING_STATUS_ACTIVE
    assert fetched.seller_id == seller.id and fetched.item_id == ""
    assert fetched.category_id == shoes.id and fetched.game_id == shoes.game_id
    assert plain(fetched.attributes) == {"size": 44, "colour": "black"}
    assert fetched.feed == resources_pb2.FEED_DISCOVER
    assert fetched.price.amount_minor == 4500 and fetched.price.currency == "EUR"
    assert fetched.condition == resources_pb2.CONDITION_GOOD
    assert (round(fetched.location.latitude, 6), round(fetched.location.longitude, 6)) == (52.52, 13.405)
    assert list(fetched.image_urls) == ["https://img.example.com/1.jpg", "https://img.example.com/2.jpg"]
    assert fetched.video_url == "https://video.example.com/v/1"
    assert fetched.thumbnail_url == "https://img.example.com/1-small.jpg"


async def test_every_problem_of_a_listing_is_reported_at_once_catalogs_included(trading, seller, shoes):
    request = free_form(
        shoes.id,
        title=" ",
        description="x" * 10_001,
        attributes={"size": 51, "colour": "green", "laces": "yes"},
        price=eur(-1, currency="euro"),
        location=location_pb2.Location(latitude=91, longitude=0),
        image_urls=["ftp://img.example.com/1.jpg", ""],
        video_url="javascript:alert(1)",
        thumbnail_url="https://" + "x" * 2048,
    )
    error = await rpc_error(trading.CreateListing(request, metadata=seller.auth))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {
        "listing.title",
        "listing.description",
        "listing.attributes.size",
        "listing.attributes.colour",
        "listing.attributes.laces",
        "listing.price.currency",
        "listing.price.amount_minor",
        "listing.location.latitude",
        "listing.image_urls[0]",
        "listing.image_urls[1]",
        "listing.video_url",
        "listing.thumbnail_url",
    }


async def test_a_required_attribute_of_the_category_must_be_given(trading, seller, shoes):
    error = await rpc_error(trading.CreateListing(free_form(shoes.id, attributes={}), metadata=seller.auth))
    assert field_violations(error) == {"listing.attributes.size": "is required"}


async def test_a_list_where_a_value_belongs_is_a_violation_of_its_key(trading, seller, shoes):
    request = free_form(shoes.id)
    request.listing.attributes["colour"].list_value.values.add(string_value="black")
    error = await rpc_error(trading.CreateListing(request, metadata=seller.auth))
    assert set(field_violations(error)) == {"listing.attributes.colour"}


async def test_more_than_ten_pictures_are_refused(trading, seller, shoes):
    request = free_form(shoes.id, image_urls=[f"https://img.example.com/{n}.jpg" for n in range(11)])
    error = await rpc_error(trading.CreateListing(request, metadata=seller.auth))
    assert set(field_violations(error)) == {"listing.image_urls"}


async def test_a_free_form_listing_needs_a_category_that_catalog_knows(trading, seller, shoes):
    error = await rpc_error(trading.CreateListing(free_form(""), metadata=seller.auth))
    assert set(field_violations(error)) == {"listing.category_id"}
    error = await rpc_error(trading.CreateListing(free_form(str(uuid.uuid4())), metadata=seller.auth))
    assert field_violations(error) == {"listing.category_id": "is not a catalog category"}
    error = await rpc_error(trading.CreateListing(free_form("shoes"), metadata=seller.auth))
    assert set(field_violations(error)) == {"listing.category_id"}


async def test_a_price_is_required(trading, seller, shoes):
    request = free_form(shoes.id)
    request.listing.ClearField("price")
    error = await rpc_error(trading.CreateListing(request, metadata=seller.auth))
    assert "listing.price" in field_violations(error)


async def test_a_repeated_request_id_lists_once(trading, seller, shoes):
    request = free_form(shoes.id)
    request.request_id = uuid.uuid4().hex
    first = await trading.CreateListing(request, metadata=seller.auth)
    again = await trading.CreateListing(request, metadata=seller.auth)
    assert first.id == again.id


async def test_listing_needs_a_signed_in_seller(trading, shoes):
    error = await rpc_error(trading.CreateListing(free_form(shoes.id)))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_an_unknown_listing_is_not_found(trading):
    error = await rpc_error(trading.GetListing(pb.GetListingRequest(listing_id=str(uuid.uuid4()))))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error_reason(error) == "LISTING_NOT_FOUND"


async def signed_up_at(stack, location: location_pb2.Location | None) -> tuple:
    """A registered user whose profile has this location; their id and metadata."""
    accounts = accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))
    suffix = uuid.uuid4().hex[:10]
    registration = accounts_pb.CreateUserRequest(
        email=f"seller-{suffix}@example.com", username=f"seller_{suffix}", password="correct horse battery"
    )
    user = await accounts.CreateUser(registration)
    session = await accounts.CreateSession(
        accounts_pb.CreateSessionRequest(login=registration.email, password=registration.password)
    )
    if location is not None:
        await accounts.UpdateMe(
            accounts_pb.UpdateMeRequest(profile=accounts_resources.Profile(location=location)),
            metadata=bearer(session.access_token),
        )
    return user.id, bearer(session.access_token)


async def test_a_listing_without_a_location_is_placed_where_the_sellers_profile_is(stack, trading, shoes):
    _, auth = await signed_up_at(stack, BERLIN)
    listing = await trading.CreateListing(free_form(shoes.id), metadata=auth)
    assert (round(listing.location.latitude, 6), round(listing.location.longitude, 6)) == (52.52, 13.405)


async def test_a_location_given_wins_over_the_profiles(stack, trading, shoes):
    _, auth = await signed_up_at(stack, BERLIN)
    paris = location_pb2.Location(latitude=48.8566, longitude=2.3522)
    listing = await trading.CreateListing(free_form(shoes.id, location=paris), metadata=auth)
    assert round(listing.location.latitude, 4) == 48.8566


async def test_without_a_location_anywhere_a_listing_has_none(stack, trading, shoes, seller):
    _, auth = await signed_up_at(stack, None)
    assert not (await trading.CreateListing(free_form(shoes.id), metadata=auth)).HasField("location")
    # A token of a user accounts does not know (as the tests mint them): no location either.
    assert not (await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)).HasField("location")


async def test_while_catalog_does_not_answer_a_listing_is_unavailable_and_nothing_is_written(stack, seller, shoes):
    elsewhere = stack.settings["trading"].addresses | {"catalog": f"127.0.0.1:{free_port()}"}
    request = free_form(shoes.id)
    request.request_id = uuid.uuid4().hex
    async with (
        replica(stack, "trading", addresses=elsewhere, call_timeout_seconds=0.5) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        cut_off = trading_service_pb2_grpc.TradingServiceStub(channel)
        error = await rpc_error(cut_off.CreateListing(request, metadata=seller.auth))
    assert error.code() is grpc.StatusCode.UNAVAILABLE and error_reason(error) == "DEPENDENCY_UNAVAILABLE"
    # The key was not kept: the same request goes through once catalog answers.
    trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
    assert (await trading.CreateListing(request, metadata=seller.auth)).category_id == shoes.id
