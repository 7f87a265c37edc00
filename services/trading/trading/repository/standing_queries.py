"""Standing queries: their typed predicates written, and the one condition that says whether a listing
matches one, read from either side (services/trading/README.md, "Matching"):

- a listing that goes on sale or changes finds the open queries it matches (`queries_matching`): the
  candidates are the open queries of its category (or, for those without one, of its game) of the kind
  asked, read through `ix_standing_queries_open_category` / `_open_game`; each is checked in SQL by its
  price cap, conditions, circle, words and filters, never in Python;
- a query that opens finds the active listings it matches (`listings_matching`), through the category's
  active listings by price (`ix_listings_active_category_price`), cheapest first.

A filter is checked against the listing's typed values (`listing_attribute_values`, by its primary
key): a query matches when none of its filters fails. Another kind of standing query (a saved search)
stores its predicates here under its own kind and is matched by the same two functions.
"""

from uuid import UUID

from sqlalchemy import ColumnElement, and_, any_, exists, func, literal, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from servicekit.filters import AttributeType, Filter
from trading.domain.listings import ListingStatus
from trading.domain.standing_queries import Predicates, StandingQueryKind
from trading.models import Listing, ListingAttributeValue, StandingQuery, StandingQueryFilter


def _terms(words: str) -> ColumnElement:
    return func.websearch_to_tsquery(literal_column("'simple'::regconfig"), words)


def new_query(query_id: UUID, kind: StandingQueryKind, owner_id: UUID, predicates: Predicates) -> StandingQuery:
    """The query's row, closed until its owner's use case opens it."""
    cap = predicates.max_price
    return StandingQuery(
        id=query_id,
        kind=kind,
        owner_id=owner_id,
        open=False,
        category_id=predicates.category_id,
        game_id=predicates.game_id,
        terms=_terms(predicates.words) if predicates.words else None,
        conditions=list(predicates.conditions) or None,
        currency=cap.currency if cap else None,
        max_price_minor=cap.amount_minor if cap else None,
        location=predicates.near.to_ewkt() if predicates.near else None,
        radius_m=predicates.radius_km * 1000.0 if predicates.near else None,
    )


def filter_rows(query_id: UUID, filters: tuple[Filter, ...]) -> list[StandingQueryFilter]:
    """Each parsed filter as a typed row: a range, or the values of the attribute's type."""
    rows = []
    for position, condition in enumerate(filters):
        row = StandingQueryFilter(standing_query_id=query_id, position=position, key=condition.attribute.key)
        kind = condition.attribute.type
        if not condition.values:
            row.minimum, row.maximum = condition.minimum, condition.maximum
        elif kind.is_numeric:
            row.numbers = [float(value) for value in condition.values]
        elif kind is AttributeType.BOOLEAN:
            row.booleans = list(condition.values)
        else:
            row.strings = [str(value) for value in condition.values]
        rows.append(row)
    return rows


def _filter_fails(listing_id: ColumnElement) -> ColumnElement[bool]:
    """The query's filter row (StandingQueryFilter in the enclosing query) is not met by the listing: it
    has no value of the key, or none the filter admits. Correlated to every enclosing query by hand: the
    listing belongs to the outermost one, past the filter's, where automatic correlation stops."""
    value = aliased(ListingAttributeValue)
    row = StandingQueryFilter
    return ~exists().where(
        value.listing_id == listing_id,
        value.key == row.key,
        or_(row.minimum.is_(None), value.value_number >= row.minimum),
        or_(row.maximum.is_(None), value.value_number <= row.maximum),
        or_(row.numbers.is_(None), value.value_number == any_(row.numbers)),
        or_(row.strings.is_(None), value.value_string == any_(row.strings)),
        or_(row.booleans.is_(None), value.value_boolean == any_(row.booleans)),
    ).correlate_except(value)


def within_cap(query, listing) -> ColumnElement[bool]:
    """The listing's price is within the query's cap, in its currency (or the query has none)."""
    return or_(
        query.max_price_minor.is_(None),
        and_(query.currency == listing.currency, query.max_price_minor >= listing.price_minor),
    )


def matches(query, listing) -> list[ColumnElement[bool]]:
    """The open standing query (a StandingQuery, or an alias of it) matches the listing (a Listing, or an
    alias), beyond its category or game and its price cap (`within_cap`, which a caller writes as its
    index reads it): a condition, the circle, every word, every filter; and the listing is not its
    owner's own."""
    return [
        query.open,
        query.owner_id != listing.seller_id,
        or_(query.conditions.is_(None), listing.condition == any_(query.conditions)),
        or_(query.location.is_(None), func.ST_DWithin(query.location, listing.location, query.radius_m, False)),
        or_(query.terms.is_(None), listing.search_document.op("@@")(query.terms)),
        ~exists().where(StandingQueryFilter.standing_query_id == query.id, _filter_fails(listing.id)),
    ]


class _ListingRow:
    """One listing's columns for the matching query: the plain ones read first and bound as values (a
    statement of sixteen scalar subqueries took 10 ms to plan), the location and the search document as
    scalar subqueries read only for a candidate that asks for them."""

    SIMPLE = ("seller_id", "category_id", "game_id", "currency", "price_minor", "condition")

    def __init__(self, listing_id: UUID, row) -> None:
        self.id = listing_id
        for name in self.SIMPLE:
            setattr(self, name, literal(getattr(row, name), getattr(Listing, name).type))
        for name in ("location", "search_document"):
            setattr(self, name, select(getattr(Listing, name)).where(Listing.id == listing_id).scalar_subquery())

    @classmethod
    async def read(cls, session: AsyncSession, listing_id: UUID) -> "_ListingRow | None":
        columns = [getattr(Listing, name) for name in cls.SIMPLE]
        row = (await session.execute(select(*columns).where(Listing.id == listing_id))).first()
        return None if row is None else cls(listing_id, row)


async def queries_matching(
    session: AsyncSession, kind: StandingQueryKind, listing_id: UUID, limit: int | None = None
) -> list[UUID]:
    """The open queries of the kind that the listing matches, the highest price cap first, then oldest.

    Each branch (the listing's category; its game, for queries without a category) reads
    `ix_standing_queries_open_category` (or `_game`) in that order from the listing's price up and stops
    after `limit` matches: left to merge the branches itself, the planner sorted every match (1,000 of
    3,000 candidates of a category at 100,000 orders: 14 to 19 ms, 1 to 2 ms now for the best 20). A kind
    whose queries may have no cap (a saved search) adds the branches `max_price_minor IS NULL`."""
    listing = await _ListingRow.read(session, listing_id)
    if listing is None:
        return []
    query = StandingQuery
    scopes = (
        query.category_id == listing.category_id,
        and_(query.category_id.is_(None), query.game_id == listing.game_id),
    )
    caps = [and_(query.currency == listing.currency, query.max_price_minor >= listing.price_minor)]
    if not kind.always_capped:
        caps.append(query.max_price_minor.is_(None))
    order = (query.max_price_minor.desc(), query.created_at, query.id)
    branches = [
        select(query.id, query.max_price_minor, query.created_at)
        .where(query.kind == kind, scope, cap, *matches(query, listing))
        .order_by(*order)
        .limit(limit)
        for scope in scopes
        for cap in caps
    ]
    both = union_all(*branches).subquery()
    stmt = select(both.c.id).order_by(both.c.max_price_minor.desc(), both.c.created_at, both.c.id).limit(limit)
    return list(await session.scalars(stmt))


async def listings_matching(session: AsyncSession, query_id: UUID, limit: int) -> list[UUID]:
    """The active listings the open query matches, cheapest first, then oldest."""
    query = aliased(StandingQuery)
    found = await session.get(StandingQuery, query_id)
    if found is None or not found.open:
        return []
    scope = Listing.category_id == found.category_id if found.category_id else Listing.game_id == found.game_id
    stmt = (
        select(Listing.id)
        .join(query, query.id == query_id)
        .where(Listing.status == ListingStatus.ACTIVE, scope, within_cap(query, Listing), *matches(query, Listing))
        .order_by(Listing.price_minor, Listing.created_at, Listing.id)
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def still_matches(session: AsyncSession, query_id: UUID, listing_id: UUID) -> bool:
    """Whether the query matches the listing as both are now (checked again once a fill holds them)."""
    query = aliased(StandingQuery)
    listing = aliased(Listing)
    scope = or_(
        query.category_id == listing.category_id, and_(query.category_id.is_(None), query.game_id == listing.game_id)
    )
    stmt = select(exists().where(query.id == query_id, listing.id == listing_id, scope, *matches(query, listing)))
    return bool(await session.scalar(stmt))
