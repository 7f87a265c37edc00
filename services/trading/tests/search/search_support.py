"""Helpers of the search suite: listings made through trading, and what a page shows."""

from marketplace.common.v1 import location_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb

from ..trading_support import free_form

BERLIN = location_pb2.Location(latitude=52.52, longitude=13.405)
POTSDAM = location_pb2.Location(latitude=52.3906, longitude=13.0645)
HAMBURG = location_pb2.Location(latitude=53.5511, longitude=9.9937)


async def listed(trading, seller, category_id: str, **fields) -> str:
    """A new active listing of the seller in the category; its id. Fields as free_form takes them."""
    fields.setdefault("attributes", {"size": 44})
    fields.setdefault("location", BERLIN)
    created = await trading.CreateListing(free_form(category_id, **fields), metadata=seller.auth)
    return created.id


def ids(page: pb.SearchListingsResponse) -> list[str]:
    return [listing.id for listing in page.listings]


def facet(page: pb.SearchListingsResponse, field: str) -> list[tuple[str, int]]:
    """The facet's values and counts in the order given; AssertionError when the page has no such facet."""
    for found in page.facets:
        if found.field == field:
            return [(value.value, value.count) for value in found.values]
    raise AssertionError(f"no facet {field!r} in {[f.field for f in page.facets]}")


async def every_page(search, page_token: str = "", **fields) -> list[str]:
    """The ids of every page of a search from `page_token` on, followed token by token."""
    found, token = [], page_token
    while True:
        page = await search(**fields, page_token=token)
        found += ids(page)
        token = page.next_page_token
        if not token:
            return found
