"""Use cases of saved searches: save one (its terms checked as every standing query's, its filters parsed as
search parses them), list, delete; and tell the owners of those a listing on sale matches, once per search
and listing (services/trading/README.md, "Saved searches")."""

import uuid
from uuid import UUID

from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.pagination import Page, page_result
from servicekit.runtime_settings import SettingsStore
from trading import events
from trading.clients import Catalog
from trading.domain import saved_searches as domain
from trading.domain.listings import ListingStatus
from trading.domain.settings import TradingRuntimeSettings
from trading.domain.standing_queries import QueryTerms, StandingQueryKind
from trading.models import Listing, SavedSearch
from trading.repository import saved_searches as repository
from trading.repository import standing_queries
from trading.service.standing_queries import read_predicates


async def create_saved_search(
    db: Database,
    catalog: Catalog,
    runtime_settings: SettingsStore[TradingRuntimeSettings],
    caller: Caller,
    terms: QueryTerms,
    violations: list[FieldViolation],
) -> SavedSearch:
    """The caller's new saved search, open at once; `violations` are those found reading the request."""
    violations = list(violations)
    predicates = await read_predicates(catalog, terms, "saved_search", violations)
    if violations:
        raise InvalidArgument(violations)
    async with db.begin() as session:
        await repository.lock_owner(session, caller.user_id)
        kept = await repository.count_for_owner(session, caller.user_id)
        domain.check_room(kept, runtime_settings.values.saved_search_limit)
        search_id = uuid.uuid4()
        query = standing_queries.new_query(search_id, StandingQueryKind.SAVED_SEARCH, caller.user_id, predicates)
        query.open = True
        session.add(query)
        await session.flush()
        session.add_all(standing_queries.filter_rows(search_id, predicates.filters))
        search = SavedSearch(id=search_id, owner_id=caller.user_id, q=terms.q, attributes=list(terms.attributes))
        session.add(search)
        await session.flush()
        await session.refresh(query)
        search.query = query
    return search


async def list_saved_searches(db: Database, caller: Caller, page: Page) -> tuple[list[SavedSearch], str]:
    async with db.read() as session:
        searches = await repository.list_for_owner(session, caller.user_id, page)
    return page_result(searches, page, lambda search: (search.created_at, search.id))


async def delete_saved_search(db: Database, caller: Caller, saved_search_id: UUID) -> None:
    """Deletes the caller's saved search; NOT_FOUND for anyone else's. It is matched no more from the commit."""
    async with db.begin() as session:
        if not await repository.delete_owned(session, saved_search_id, caller.user_id):
            raise domain.SavedSearchNotFound(f"saved search {saved_search_id} does not exist")


async def tell_matching_searches(db: Database, listing_id: UUID) -> int:
    """Tells the owner of every saved search the listing matches while it is on sale, once per search and
    listing (`trading.saved_search.matched`); how many were told."""
    async with db.begin() as session:
        listing = await session.get(Listing, listing_id)
        if listing is None or listing.status is not ListingStatus.ACTIVE:
            return 0
        matching = await standing_queries.queries_matching(session, StandingQueryKind.SAVED_SEARCH, listing_id)
        told = await repository.record_matches(session, listing_id, matching)
        for search in told:
            events.saved_search_matched(session, search, listing)
    return len(told)
