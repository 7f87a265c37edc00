"""Saved searches saved, listed, deleted and bounded, and told once of each listing on sale they match."""

import asyncio
import uuid

import grpc
import pytest

from marketplace.common.v1 import location_pb2, settings_pb2
from marketplace.trading.v1 import events_pb2
from marketplace.trading.v1 import resources_pb2 as T
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.auth import Role
from testkit.accounts import new_account
from testkit.catalog import new_item
from testkit.databases import fetch
from testkit.feeds import events_until
from testkit.grpc import error_reason, field_violations, rpc_error
from testkit.settings import plain_values, reset_settings, settings_change
from testkit.tokens import bearer, mint
from testkit.waiting import eventually

from .buy_order_support import matcher_caught_up
from .trading_support import eur, of_item

BERLIN = location_pb2.Location(latitude=52.52, longitude=13.405)


def saved(category_id: str, *attributes: str, **fields) -> pb.CreateSavedSearchRequest:
    return pb.CreateSavedSearchRequest(
        saved_search=T.SavedSearch(category_id=category_id, attributes=list(attributes), **fields)
    )


async def listed_skin(stack, trading, seller, category_id: str, price: int, **attributes) -> T.Listing:
    item = await new_item(stack, seller.auth, category_id, "AK-47 | Redline", **attributes)
    return await trading.CreateListing(of_item(item.id, price=eur(price)), metadata=seller.auth)


async def matches_of(stack, search_id: str) -> list[str]:
    rows = await fetch(
        stack.database_urls["trading"],
        "SELECT listing_id FROM saved_search_matches WHERE saved_search_id = $1 ORDER BY created_at",
        uuid.UUID(search_id),
    )
    return [str(row["listing_id"]) for row in rows]


async def matched_events(stack, search_id: str, at_least: int = 0) -> list[events_pb2.SavedSearchMatched]:
    def of_search(found) -> list[events_pb2.SavedSearchMatched]:
        told = []
        for event in found:
            if event.type == "trading.saved_search.matched" and event.subject_id == search_id:
                payload = events_pb2.SavedSearchMatched()
                event.payload.Unpack(payload)
                told.append(payload)
        return told

    channel = stack.channel("trading", as_service="messaging")
    return of_search(await events_until(channel, lambda events: len(of_search(events)) >= at_least))


async def test_a_saved_search_is_kept_as_written_and_listed_newest_first_in_pages(stack, trading, rifles):
    owner = await new_account(stack)
    first = await trading.CreateSavedSearch(
        saved(rifles.id, "wear:..0.16", "rarity:Covert|Classified", q="redline", max_price=eur(2000)),
        metadata=owner.auth,
    )
    assert (first.category_id, first.q, list(first.attributes)) == (
        rifles.id,
        "redline",
        ["wear:..0.16", "rarity:Covert|Classified"],
    )
    assert first.max_price.amount_minor == 2000 and first.id
    second = await trading.CreateSavedSearch(saved(rifles.id, near=BERLIN, radius_km=30), metadata=owner.auth)
    assert not second.HasField("max_price") and second.radius_km == 30 and second.near.latitude == 52.52

    page = await trading.ListSavedSearches(pb.ListSavedSearchesRequest(page_size=1), metadata=owner.auth)
    assert [s.id for s in page.saved_searches] == [second.id] and page.next_page_token
    rest = await trading.ListSavedSearches(
        pb.ListSavedSearchesRequest(page_size=1, page_token=page.next_page_token), metadata=owner.auth
    )
    assert [s.id for s in rest.saved_searches] == [first.id] and not rest.next_page_token
    other = await new_account(stack)
    assert not (await trading.ListSavedSearches(pb.ListSavedSearchesRequest(), metadata=other.auth)).saved_searches


async def test_bad_saved_searches_are_refused_naming_the_field(stack, trading, rifles):
    owner = await new_account(stack)
    cases = {
        "saved_search.attributes[0]": saved(rifles.id, "stickers_count:0"),
        "saved_search.attributes[1]": saved(rifles.id, "wear:0.1..0.2", "wear:0.3..0.4"),
        "saved_search.category_id": saved(str(uuid.uuid4())),
        "saved_search.max_price.amount_minor": saved(rifles.id, max_price=eur(0)),
        "saved_search.max_price.currency": saved(rifles.id, max_price=eur(100, "euro")),
        "saved_search.near": saved(rifles.id, radius_km=10),
        "saved_search.radius_km": saved(rifles.id, near=BERLIN, radius_km=30_000),
        "saved_search.q": saved(rifles.id, q="x" * 501),
    }
    for field, request in cases.items():
        error = await rpc_error(trading.CreateSavedSearch(request, metadata=owner.auth))
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, field
        assert field in field_violations(error), (field, field_violations(error))
    nowhere = await rpc_error(trading.CreateSavedSearch(saved(""), metadata=owner.auth))
    assert "saved_search.category_id" in field_violations(nowhere)
    listed = await trading.ListSavedSearches(pb.ListSavedSearchesRequest(), metadata=owner.auth)
    assert not listed.saved_searches


async def test_an_owner_keeps_at_most_the_runtime_settings_number_of_saved_searches(
    stack, trading, rifles, signing_key
):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    owner = await new_account(stack)
    await trading.UpdateSettings(settings_change({"saved_search_limit": 2}), metadata=admin)
    try:
        kept = [await trading.CreateSavedSearch(saved(rifles.id), metadata=owner.auth) for _ in range(2)]

        async def refused() -> str | None:
            try:
                await trading.CreateSavedSearch(saved(rifles.id), metadata=owner.auth)
            except grpc.aio.AioRpcError as error:
                return error_reason(error)
            return None

        await eventually(refused, "SAVED_SEARCH_LIMIT_REACHED", 3)
        await trading.DeleteSavedSearch(pb.DeleteSavedSearchRequest(saved_search_id=kept[0].id), metadata=owner.auth)
        await trading.CreateSavedSearch(saved(rifles.id), metadata=owner.auth)
    finally:
        await reset_settings(trading, admin)


async def test_twenty_saves_at_once_keep_exactly_the_limit(stack, trading, rifles, signing_key):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    owner = await new_account(stack)
    await trading.UpdateSettings(settings_change({"saved_search_limit": 3}), metadata=admin)
    try:
        await eventually(lambda: limit_seen(trading, admin), 3, 3)
        results = await asyncio.gather(
            *(trading.CreateSavedSearch(saved(rifles.id), metadata=owner.auth) for _ in range(20)),
            return_exceptions=True,
        )
    finally:
        await reset_settings(trading, admin)
    refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert {error_reason(error) for error in refused} == {"SAVED_SEARCH_LIMIT_REACHED"} and len(refused) == 17
    listed = await trading.ListSavedSearches(pb.ListSavedSearchesRequest(), metadata=owner.auth)
    assert len(listed.saved_searches) == 3


async def limit_seen(trading, admin) -> int:
    settings = await trading.GetSettings(settings_pb2.GetSettingsRequest(), metadata=admin)
    return int(plain_values(settings)["saved_search_limit"])


async def test_only_the_owner_deletes_a_saved_search_and_every_call_needs_a_user(stack, trading, rifles):
    owner, other = await new_account(stack), await new_account(stack)
    search = await trading.CreateSavedSearch(saved(rifles.id), metadata=owner.auth)
    delete = pb.DeleteSavedSearchRequest(saved_search_id=search.id)
    foreign = await rpc_error(trading.DeleteSavedSearch(delete, metadata=other.auth))
    assert foreign.code() is grpc.StatusCode.NOT_FOUND and error_reason(foreign) == "SAVED_SEARCH_NOT_FOUND"
    for call in (
        trading.CreateSavedSearch(saved(rifles.id)),
        trading.ListSavedSearches(pb.ListSavedSearchesRequest()),
        trading.DeleteSavedSearch(delete),
    ):
        assert (await rpc_error(call)).code() is grpc.StatusCode.UNAUTHENTICATED
    await trading.DeleteSavedSearch(delete, metadata=owner.auth)
    gone = await rpc_error(trading.DeleteSavedSearch(delete, metadata=owner.auth))
    assert gone.code() is grpc.StatusCode.NOT_FOUND


async def test_a_matching_listing_is_told_once_even_when_its_price_drops_again(stack, trading, rifles):
    owner, seller = await new_account(stack), await new_account(stack)
    search = await trading.CreateSavedSearch(saved(rifles.id, "wear:..0.16", max_price=eur(2000)), metadata=owner.auth)
    listing = await listed_skin(stack, trading, seller, rifles.id, 1800, wear=0.1)
    [told] = await matched_events(stack, search.id, at_least=1)
    assert (told.owner_id, told.listing_id, told.title, told.price.amount_minor) == (
        owner.id,
        listing.id,
        "AK-47 | Redline",
        1800,
    )
    price = T.Listing(price=eur(1500))
    await trading.UpdateListing(
        pb.UpdateListingRequest(listing_id=listing.id, listing=price, update_mask={"paths": ["price"]}),
        metadata=seller.auth,
    )
    await matcher_caught_up(stack)
    assert len(await matched_events(stack, search.id)) == 1
    assert await matches_of(stack, search.id) == [listing.id]


async def test_a_listing_whose_price_drops_under_the_cap_is_told_then(stack, trading, rifles):
    owner, seller = await new_account(stack), await new_account(stack)
    search = await trading.CreateSavedSearch(saved(rifles.id, max_price=eur(1000)), metadata=owner.auth)
    listing = await listed_skin(stack, trading, seller, rifles.id, 1200, wear=0.3)
    await matcher_caught_up(stack)
    assert await matches_of(stack, search.id) == []
    await trading.UpdateListing(
        pb.UpdateListingRequest(
            listing_id=listing.id, listing=T.Listing(price=eur(900)), update_mask={"paths": ["price"]}
        ),
        metadata=seller.auth,
    )
    await eventually(lambda: matches_of(stack, search.id), [listing.id], 3)


async def test_a_listing_that_misses_a_predicate_or_is_the_owners_own_tells_nothing(stack, trading, rifles):
    owner, seller = await new_account(stack), await new_account(stack)
    search = await trading.CreateSavedSearch(saved(rifles.id, "wear:..0.16"), metadata=owner.auth)
    await listed_skin(stack, trading, seller, rifles.id, 1800, wear=0.2)
    await listed_skin(stack, trading, owner, rifles.id, 1800, wear=0.1)
    await matcher_caught_up(stack)
    assert await matches_of(stack, search.id) == []


async def test_a_deleted_saved_search_tells_nothing_more(stack, trading, rifles):
    owner, seller = await new_account(stack), await new_account(stack)
    search = await trading.CreateSavedSearch(saved(rifles.id), metadata=owner.auth)
    await trading.DeleteSavedSearch(pb.DeleteSavedSearchRequest(saved_search_id=search.id), metadata=owner.auth)
    await listed_skin(stack, trading, seller, rifles.id, 1800, wear=0.1)
    await matcher_caught_up(stack)
    assert await matched_events(stack, search.id) == []


@pytest.mark.parametrize("capped", [True, False])
async def test_a_search_without_a_cap_matches_any_price_and_one_with_a_cap_only_below_it(
    stack, trading, rifles, capped
):
    owner, seller = await new_account(stack), await new_account(stack)
    cap = {"max_price": eur(1000)} if capped else {}
    search = await trading.CreateSavedSearch(saved(rifles.id, **cap), metadata=owner.auth)
    dear = await listed_skin(stack, trading, seller, rifles.id, 90_000, wear=0.5)
    await matcher_caught_up(stack)
    assert await matches_of(stack, search.id) == ([] if capped else [dear.id])
