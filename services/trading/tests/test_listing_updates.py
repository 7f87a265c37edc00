"""UpdateListing: the seller changes the fields a mask names of a draft or an active listing."""

import grpc
import pytest
from google.protobuf import field_mask_pb2

from marketplace.common.v1 import location_pb2
from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from testkit.catalog import new_item
from testkit.grpc import error_metadata, error_reason, field_violations, rpc_error
from testkit.values import plain, values

from .trading_support import eur, free_form, of_item, set_status


def update(listing_id: str, paths: list[str] | None = None, **fields) -> pb.UpdateListingRequest:
    return pb.UpdateListingRequest(
        listing_id=listing_id,
        listing=resources_pb2.Listing(**fields),
        update_mask=field_mask_pb2.FieldMask(paths=paths or []),
    )


async def test_the_seller_changes_the_fields_the_mask_names_and_no_other(trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id, description="Worn twice."), metadata=seller.auth)
    request = update(listing.id, ["price", "title"], price=eur(3900), title="Sneakers, 44", description="ignored")
    changed = await trading.UpdateListing(request, metadata=seller.auth)
    assert changed.price.amount_minor == 3900 and changed.title == "Sneakers, 44"
    assert changed.description == "Worn twice."
    assert changed.update_time.ToDatetime() > listing.update_time.ToDatetime()


async def test_without_a_mask_the_fields_sent_are_changed(trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    request = update(listing.id, feed=resources_pb2.FEED_COMMUNITY, image_urls=["https://img.example.com/a.png"])
    changed = await trading.UpdateListing(request, metadata=seller.auth)
    assert changed.feed == resources_pb2.FEED_COMMUNITY and list(changed.image_urls) == [
        "https://img.example.com/a.png"
    ]
    assert changed.title == listing.title


async def test_a_location_named_without_a_value_is_removed(trading, seller, shoes):
    berlin = location_pb2.Location(latitude=52.52, longitude=13.405)
    listing = await trading.CreateListing(free_form(shoes.id, location=berlin), metadata=seller.auth)
    changed = await trading.UpdateListing(update(listing.id, ["location"]), metadata=seller.auth)
    assert not changed.HasField("location")


async def test_new_values_of_a_free_form_listing_are_checked_by_catalog(trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    good = update(listing.id, ["attributes"], attributes=values(size=42, colour="red"))
    assert plain((await trading.UpdateListing(good, metadata=seller.auth)).attributes) == {"size": 42, "colour": "red"}
    bad = update(listing.id, ["attributes", "price"], attributes=values(colour="green"), price=eur(0))
    error = await rpc_error(trading.UpdateListing(bad, metadata=seller.auth))
    assert set(field_violations(error)) == {
        "listing.attributes.size",
        "listing.attributes.colour",
        "listing.price.amount_minor",
    }


async def test_an_item_listings_values_are_the_items(stack, trading, seller, skins):
    item = await new_item(stack, seller.auth, skins.id, "P90 | Asiimov", wear=0.3)
    listing = await trading.CreateListing(of_item(item.id), metadata=seller.auth)
    error = await rpc_error(
        trading.UpdateListing(update(listing.id, ["attributes"], attributes=values(wear=0.01)), metadata=seller.auth)
    )
    assert set(field_violations(error)) == {"listing.attributes"}


async def test_the_catalog_references_never_change(trading, seller, shoes, skins):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    error = await rpc_error(
        trading.UpdateListing(update(listing.id, ["category_id"], category_id=skins.id), metadata=seller.auth)
    )
    assert field_violations(error) == {"listing.category_id": "cannot be changed once created"}
    same = await trading.UpdateListing(update(listing.id, ["category_id"], category_id=shoes.id), metadata=seller.auth)
    assert same.category_id == shoes.id


@pytest.mark.parametrize("path", ["status", "seller_id", "view_count", "colour"])
async def test_a_mask_naming_what_cannot_be_changed_is_a_400(trading, seller, shoes, path):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    error = await rpc_error(trading.UpdateListing(update(listing.id, [path]), metadata=seller.auth))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(error)) == {"update_mask"}


async def test_a_mask_of_every_field_replaces_them_all(trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id, description="Worn twice."), metadata=seller.auth)
    request = update(listing.id, ["*"], title="Sneakers", price=eur(100), attributes=values(size=40))
    replaced = await trading.UpdateListing(request, metadata=seller.auth)
    assert (replaced.title, replaced.description, replaced.price.amount_minor) == ("Sneakers", "", 100)
    assert plain(replaced.attributes) == {"size": 40}
    error = await rpc_error(trading.UpdateListing(update(listing.id, ["*"], title="No price"), metadata=seller.auth))
    assert set(field_violations(error)) == {
        "listing.price.currency",
        "listing.price.amount_minor",
        "listing.attributes.size",
    }


async def test_an_update_that_names_nothing_is_a_400(trading, seller, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    error = await rpc_error(trading.UpdateListing(update(listing.id), metadata=seller.auth))
    assert set(field_violations(error)) == {"update_mask"}


async def test_a_draft_is_changed_like_an_active_listing(trading, seller, shoes):
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    changed = await trading.UpdateListing(update(draft.id, ["price"], price=eur(100)), metadata=seller.auth)
    assert changed.price.amount_minor == 100 and changed.status == resources_pb2.LISTING_STATUS_DRAFT


@pytest.mark.parametrize("status", ["reserved", "sold", "cancelled"])
async def test_a_listing_that_is_reserved_sold_or_cancelled_is_not_changed(stack, trading, seller, shoes, status):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    await set_status(stack, listing.id, status)
    error = await rpc_error(trading.UpdateListing(update(listing.id, ["price"], price=eur(1)), metadata=seller.auth))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "LISTING_NOT_EDITABLE" and error_metadata(error) == {"status": status}


async def test_only_the_seller_changes_a_listing(trading, seller, buyer, shoes):
    listing = await trading.CreateListing(free_form(shoes.id), metadata=seller.auth)
    request = update(listing.id, ["price"], price=eur(1))
    error = await rpc_error(trading.UpdateListing(request, metadata=buyer.auth))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED and error_reason(error) == "NOT_LISTING_SELLER"
    assert (await rpc_error(trading.UpdateListing(request))).code() is grpc.StatusCode.UNAUTHENTICATED
    draft = await trading.CreateListing(free_form(shoes.id, draft=True), metadata=seller.auth)
    error = await rpc_error(trading.UpdateListing(update(draft.id, ["price"], price=eur(1)), metadata=buyer.auth))
    assert error.code() is grpc.StatusCode.NOT_FOUND
