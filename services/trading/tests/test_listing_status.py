"""Drafts, publishing, cancelling, who sees what, and the transitions no RPC may make."""

import grpc
import pytest

from marketplace.trading.v1 import resources_pb2
from testkit.grpc import error_metadata, error_reason, rpc_error

from .trading_support import cancel, free_form, get, publish, set_status


async def test_a_draft_is_seen_by_its_seller_alone_until_published(trading, seller, buyer, shoes):
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    assert draft.status == resources_pb2.LISTING_STATUS_DRAFT
    assert (await trading.GetListing(get(draft.id), metadata=seller.auth)).status == resources_pb2.LISTING_STATUS_DRAFT
    for others in (buyer.auth, ()):
        error = await rpc_error(trading.GetListing(get(draft.id), metadata=others))
        assert error.code() is grpc.StatusCode.NOT_FOUND
    published = await trading.PublishListing(publish(draft.id), metadata=seller.auth)
    assert published.status == resources_pb2.LISTING_STATUS_ACTIVE
    assert (await trading.GetListing(get(draft.id))).status == resources_pb2.LISTING_STATUS_ACTIVE


async def test_a_cancelled_listing_is_seen_by_its_seller_alone(trading, seller, buyer, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    cancelled = await trading.CancelListing(cancel(listing.id), metadata=seller.auth)
    assert cancelled.status == resources_pb2.LISTING_STATUS_CANCELLED
    assert (await rpc_error(trading.GetListing(get(listing.id), metadata=buyer.auth))).code() is (
        grpc.StatusCode.NOT_FOUND
    )
    assert (await trading.GetListing(get(listing.id), metadata=seller.auth)).id == listing.id


@pytest.mark.parametrize("status", ["reserved", "sold"])
async def test_a_reserved_or_sold_listing_is_seen_by_anyone(stack, trading, seller, shoes, status):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    await set_status(stack, listing.id, status)
    assert (await trading.GetListing(get(listing.id))).status == resources_pb2.ListingStatus.Value(
        f"LISTING_STATUS_{status.upper()}"
    )


async def test_a_draft_is_cancelled_without_ever_going_on_sale(trading, seller, shoes):
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    assert (await trading.CancelListing(cancel(draft.id), metadata=seller.auth)).status == (
        resources_pb2.LISTING_STATUS_CANCELLED
    )
    error = await rpc_error(trading.PublishListing(publish(draft.id), metadata=seller.auth))
    assert error_reason(error) == "ILLEGAL_STATUS_TRANSITION"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("active", publish),
        ("reserved", publish),
        ("reserved", cancel),
        ("sold", publish),
        ("sold", cancel),
        ("cancelled", publish),
        ("cancelled", cancel),
    ],
)
async def test_an_illegal_transition_is_a_failed_precondition_naming_the_status_and_the_move(
    stack, trading, seller, shoes, status, action
):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    await set_status(stack, listing.id, status)
    method = trading.PublishListing if action is publish else trading.CancelListing
    error = await rpc_error(method(action(listing.id), metadata=seller.auth))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "ILLEGAL_STATUS_TRANSITION"
    assert error_metadata(error) == {"status": status, "move": action.__name__}
    assert (await trading.GetListing(get(listing.id), metadata=seller.auth)).status == (
        resources_pb2.ListingStatus.Value(f"LISTING_STATUS_{status.upper()}")
    )


async def test_only_the_seller_cancels_or_publishes(trading, seller, buyer, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    error = await rpc_error(trading.CancelListing(cancel(listing.id), metadata=buyer.auth))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED and error_reason(error) == "NOT_LISTING_SELLER"
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    # Someone else's draft does not exist for them.
    for method, request in ((trading.PublishListing, publish(draft.id)), (trading.CancelListing, cancel(draft.id))):
        assert (await rpc_error(method(request, metadata=buyer.auth))).code() is grpc.StatusCode.NOT_FOUND


async def test_cancelling_and_publishing_need_a_signed_in_user(trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    for method, request in ((trading.PublishListing, publish(listing.id)), (trading.CancelListing, cancel(listing.id))):
        assert (await rpc_error(method(request))).code() is grpc.StatusCode.UNAUTHENTICATED
