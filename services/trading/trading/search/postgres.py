"""The PostgreSQL search backend: trading's own tables and indexes (services/trading/README.md, "Search").

A search is a few statements in one read-only transaction: the page (by relevance, the listings with every
word in their title, then the other full-text matches, then the typos, each part read only when those before
do not fill the page; by distance, after finding its farthest listing), then in one statement over the
matches the facets count (at most `exact_total_limit` + 1) the facets of the listing's own columns, the total
and the attribute facets, these from the matches' own `attributes`.
When there are no more matches than the limit, the facets and the total are exact; past it they count that
subset of the matches, scaled to an estimate of them all, which is the total.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Select,
    Text,
    Uuid,
    and_,
    any_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    tablesample,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.util import ClauseAdapter

from servicekit.db import Database
from servicekit.filters import Filter, value_condition
from servicekit.geo import SRID
from servicekit.pagination import BigInt, page_result
from trading.domain.listings import ListingStatus
from trading.models import Listing, ListingAttributeValue, TitleWord
from trading.repository.listings import ListingView, view_columns
from trading.search import (
    DENSE_CATEGORY_SHARE,
    DENSE_FILTER_VALUES,
    EXACT_TOTAL_LIMIT,
    NUMBER_FACET_RANGES,
    SPARSE_PART_MATCHES,
    Facet,
    FacetValue,
    SearchAttribute,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchSort,
    number_ranges,
    range_value,
    ranked,
    scalar_value,
)

# How alike a word of q must be to a word of the title to be its typo (pg_trgm's similarity of the two),
# by the word's length, as Elasticsearch's fuzziness AUTO allows no edit to words of 1 or 2 characters, one
# to words of 3 to 5 and two to longer ones: a short word is exact; one edit of a word of four letters is
# 0.5 alike at most, two of a longer word about 0.35 ("sneakres" is 0.38 alike "sneakers").
EXACT_WORD_LENGTH = 2
SHORT_WORD_LENGTH = 5
SHORT_WORD_SIMILARITY = 0.5
LONG_WORD_SIMILARITY = 0.35
DOCUMENT = Listing.search_document
# The title's words alone, as ix_listings_title_document indexes them.
TITLE_DOCUMENT = func.to_tsvector(literal_column("'simple'::regconfig"), Listing.title)
# The relevance of a listing with every word in its title, and of another full-text match: above any typo's
# (a title's likeness to q, at most 1). As Elasticsearch scores them, with its title weighing twice the
# description.
TITLE_SCORE = 2.0
FULL_TEXT_SCORE = 1.5
# The listing columns faceted with their GROUPING() bit, most significant first, as the query lists them.
COLUMN_FACETS = ("game_id", "category_id", "condition", "feed")
# How much of the table a sample reads when the planner cannot estimate the matches: 1 % of 1,000,000
# listings is about 300 pages, a few milliseconds unless each row is a document to build.
SAMPLE_PERCENT = 1.0

Values = ListingAttributeValue
# The columns an attribute facet's row groups by (key, string, boolean, range low and high, bucket), which the
# column facets' rows leave NULL in the one statement of both (a UNION's parts have as many columns).
ATTRIBUTE_FACET_GROUPS = 6


@dataclass(frozen=True)
class Dense:
    """What a search checks listing by listing instead of starting from its index: the filters that match more
    than so many value rows, and with words, a category that holds more than a share of the listings."""

    filters: frozenset[Filter[SearchAttribute]] = frozenset()
    category: bool = False


class PostgresSearch:
    def __init__(
        self,
        db: Database,
        exact_total_limit: int = EXACT_TOTAL_LIMIT,
        dense_filter_values: int = DENSE_FILTER_VALUES,
        dense_category_share: float = DENSE_CATEGORY_SHARE,
        sparse_part_matches: int = SPARSE_PART_MATCHES,
    ) -> None:
        self._db = db
        self._exact_total_limit = exact_total_limit
        self._dense_filter_values = dense_filter_values
        self._dense_category_share = dense_category_share
        self._sparse_part_matches = sparse_part_matches

    async def search(
        self,
        query: SearchQuery,
        filters: Sequence[Filter[SearchAttribute]],
        facet_attributes: Sequence[SearchAttribute],
        reader_id: UUID | None,
    ) -> SearchResult:
        matching = match_conditions(query, filters)
        async with self._db.read() as session:
            # For this transaction only. Plans for the values asked: a prepared statement's generic plan, which
            # PostgreSQL switches to after five runs, cannot tell a rare word from a common one (a page read
            # in 600 ms instead of 10). The trigram index of the titles' words answers `%` at the threshold.
            settings = [func.set_config("plan_cache_mode", "force_custom_plan", True)]
            if query.words:
                threshold = min(_typo_similarity(word) for word in query.words.split())
                settings.append(func.set_config("pg_trgm.similarity_threshold", str(threshold), True))
            await session.execute(select(*settings))
            dense = await _dense(session, query, filters, self._dense_filter_values, self._dense_category_share)
            hits, token = await _page(session, query, filters, dense, reader_id, self._sparse_part_matches)
            counted = self._counted(query, filters, matching, dense)
            facets, total = await _facets(session, counted, facet_attributes)
            if total > self._exact_total_limit:
                scale = max(total, await _estimated_matches(session, query, matching)) / total
                facets, total = [_scaled(facet, scale) for facet in facets], round(total * scale)
        return SearchResult(hits=hits, facets=facets, total_size=total, next_page_token=token)

    def _counted(
        self,
        query: SearchQuery,
        filters: Sequence[Filter[SearchAttribute]],
        matching: list[ColumnElement[bool]],
        dense: Dense,
    ) -> Select:
        """The ids of the matches the facets count: at most the exact limit + 1 of them. With
        words, the full-text matches first, then the typos: when the full-text matches alone pass the limit, the
        typos' candidates (thousands of titles to compare) are not read. What is dense is checked per
        listing, the words' index leading."""
        wanted = self._exact_total_limit + 1
        if not query.words:
            return select(Listing.id).where(*matching).limit(wanted)
        typos = and_(_typos(query), ~_full_text(query))
        parts = [
            select(Listing.id).where(*match_conditions(query, filters, words, dense))
            for words in (_full_text(query), typos)
        ]
        return union_all(*parts).limit(wanted)


def _scaled(facet: Facet, scale: float) -> Facet:
    """A facet of the counted matches scaled to stand for all the matches."""
    return Facet(facet.field, tuple(FacetValue(v.value, round(v.count * scale)) for v in facet.values))


def _one_of(column: ColumnElement, ids: list[UUID]) -> ColumnElement[bool]:
    # One array parameter: probed in the primary key, where a join would hash every row of the other side.
    return column == any_(cast(literal(ids, ARRAY(Uuid)), ARRAY(Uuid)))


async def _estimated_matches(session: AsyncSession, query: SearchQuery, matching: list[ColumnElement[bool]]) -> int:
    """How many listings match, estimated. With words, the planner's row count: its statistics of the
    document's words are good, and a sample would build the document of every row it reads. Without, a
    sample of the table: the planner's row counts of a radius or of an attribute filter are off by up to
    forty times at 1,000,000 listings, a sample's by some 15 %."""
    if not query.words:
        return await _sampled_matches(session, matching)
    connection = await session.connection()
    compiled = select(literal(1)).select_from(Listing).where(*matching).compile(dialect=connection.dialect)
    parameters = compiled.construct_params()
    values = tuple(parameters[name] for name in compiled.positiontup)
    plan = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", values)
    return int(plan.scalar_one()[0]["Plan"]["Plan Rows"])


async def _sampled_matches(session: AsyncSession, matching: list[ColumnElement[bool]]) -> int:
    """The matches among SAMPLE_PERCENT of the table's pages (the same pages every time), scaled to the table."""
    sampled = tablesample(Listing.__table__, func.system(SAMPLE_PERCENT), name="sampled", seed=literal(0))
    adapter = ClauseAdapter(sampled)
    found = await session.scalar(
        select(func.count()).select_from(sampled).where(*(adapter.traverse(condition) for condition in matching))
    )
    return round(found * 100 / SAMPLE_PERCENT)


def _point(query: SearchQuery) -> ColumnElement:
    near = query.near
    return cast(literal(f"SRID={SRID};POINT({near.longitude} {near.latitude})"), Geography)


def match_conditions(
    query: SearchQuery,
    filters: Sequence[Filter[SearchAttribute]],
    words: ColumnElement[bool] | None = None,
    per_row: Dense = Dense(),
) -> list[ColumnElement[bool]]:
    """What a listing must be to match: active, and everything the query and its filters ask; of the words,
    `words` when given (a part of their matches); what `per_row` makes dense listing by listing."""
    conditions: list[ColumnElement[bool]] = [Listing.status == ListingStatus.ACTIVE]
    if query.words:
        # Full text, or else every word like some word of the title (a typo), as a fuzzy match of every word
        # does in Elasticsearch.
        conditions.append(or_(_full_text(query), _typos(query)) if words is None else words)
    if query.game_id is not None:
        conditions.append(Listing.game_id == query.game_id)
    if query.category_id is not None:
        if per_row.category:
            # Which the planner cannot answer from the category's index.
            conditions.append(Listing.category_id.is_not_distinct_from(query.category_id))
        else:
            conditions.append(Listing.category_id == query.category_id)
    if query.currency:
        conditions.append(Listing.currency == query.currency)
    if query.min_price is not None:
        conditions.append(Listing.price_minor >= query.min_price)
    if query.max_price is not None:
        conditions.append(Listing.price_minor <= query.max_price)
    if query.near is not None:
        # On the sphere, as the distance (below).
        conditions.append(func.ST_DWithin(Listing.location, _point(query), query.near.radius_km * 1000.0, False))
    if query.feed is not None:
        conditions.append(Listing.feed == query.feed)
    if query.seller_id is not None:
        conditions.append(Listing.seller_id == query.seller_id)
    for condition in filters:
        key = condition.attribute.key
        if condition in per_row.filters:
            # The listing's own value of the key, read from its `attributes` in the row the statement reads
            # anyway: an operator or two a listing, where a probe of the values' index cost a few microseconds
            # and made the planner take a per-listing check for dearer than ANDing the whole category's index.
            conditions.append(value_condition(condition, *_typed(Listing.attributes[key])))
        else:
            # A semi-join, which the planner may start from, on the (key, value) index of the value's type.
            conditions.append(
                exists().where(
                    Values.listing_id == Listing.id,
                    Values.key == key,
                    value_condition(condition, Values.value_string, Values.value_number, Values.value_boolean),
                )
            )
    return conditions


def _typed(value: ColumnElement) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """A JSON value as its string, number and boolean, each NULL unless the value is of that JSON type: as
    `trading.repository.listings.store_values` types the values it stores."""
    of_type = func.jsonb_typeof(value)
    scalar = value.op("#>>")(literal_column("'{}'::text[]"))
    return (
        case((of_type == "string", scalar)),
        case((of_type == "number", cast(scalar, Float))),
        case((of_type == "boolean", cast(scalar, Boolean))),
    )


def _tsquery(query: SearchQuery) -> ColumnElement:
    return func.websearch_to_tsquery(literal_column("'simple'::regconfig"), query.words)


def _full_text(query: SearchQuery) -> ColumnElement[bool]:
    return DOCUMENT.op("@@", is_comparison=True)(_tsquery(query))


def _title_text(query: SearchQuery) -> ColumnElement[bool]:
    return TITLE_DOCUMENT.op("@@", is_comparison=True)(_tsquery(query))


def _typo_similarity(word: str) -> float:
    if len(word) <= EXACT_WORD_LENGTH:
        return 1.0
    return SHORT_WORD_SIMILARITY if len(word) <= SHORT_WORD_LENGTH else LONG_WORD_SIMILARITY


def _typos(query: SearchQuery) -> ColumnElement[bool]:
    """Every word of q like a word of some title, each at its length's similarity, and that word in the
    listing's title: the like words found among title_words by their trigram index (`%` at the lowest
    similarity, the transaction's threshold), then the listings through the title's full-text index."""
    return and_(*(TITLE_DOCUMENT.op("@@", is_comparison=True)(_like_words(word)) for word in query.words.split()))


def _like_words(word: str) -> ColumnElement:
    """The title words like `word`, as one tsquery of their alternatives; NULL (no match) when there are none."""
    alternatives = func.string_agg(func.quote_literal(TitleWord.word), literal(" | "))
    return (
        select(cast(alternatives, TSQUERY))
        .where(TitleWord.word.op("%")(word), func.similarity(TitleWord.word, word) >= _typo_similarity(word))
        .scalar_subquery()
    )


def _order(query: SearchQuery) -> tuple[list[ColumnElement], bool, tuple[type, ...]]:
    """The sort key's expressions, whether it descends, and the types a token's key must have."""
    order = query.order
    if order is SearchSort.RELEVANCE:
        return [_relevance(query), Listing.id], True, (float, UUID)
    if order is SearchSort.PRICE_ASC:
        return [Listing.price_minor, Listing.id], False, (BigInt, UUID)
    if order is SearchSort.PRICE_DESC:
        return [Listing.price_minor, Listing.id], True, (BigInt, UUID)
    if order is SearchSort.DISTANCE:
        return [_metres(query), Listing.id], False, (float, UUID)
    return [Listing.created_at, Listing.id], True, (datetime, UUID)


def _relevance(query: SearchQuery) -> ColumnElement:
    """Every word in the title first (TITLE_SCORE), then the other full-text matches (FULL_TEXT_SCORE), then the
    typos by the title's trigram likeness to q. Within each of the first two, by id: a page of them reads
    them in the primary key's order, or the few the index finds, and ranks none (_parts)."""
    return case(
        (_title_text(query), TITLE_SCORE),
        (_full_text(query), FULL_TEXT_SCORE),
        else_=_typo_score(query),
    )


def _typo_score(query: SearchQuery) -> ColumnElement:
    return cast(func.word_similarity(query.words, Listing.title), Float)


def _metres(query: SearchQuery) -> ColumnElement:
    """The distance on the sphere (PostGIS's `<->` on geography), as Elasticsearch's arc distance: some
    0.3 % off the spheroid's, and some ten times cheaper to compute for each listing in the radius."""
    return Listing.location.op("<->", return_type=Float)(_point(query))


def distance_km(query: SearchQuery) -> ColumnElement:
    return _metres(query) / 1000.0


# The category's share of the listings in the planner's statistics: its frequency among their most common
# categories (NULL for one that is not, or before the first ANALYZE).
_CATEGORY_SHARE = text(
    """
SELECT common.share
FROM pg_stats AS stats,
     unnest(stats.most_common_vals::text::uuid[], stats.most_common_freqs) AS common(category_id, share)
WHERE stats.schemaname = current_schema() AND stats.tablename = 'listings' AND stats.attname = 'category_id'
  AND common.category_id = :category_id
"""
).columns(column("share", Float))


async def _dense(
    session: AsyncSession,
    query: SearchQuery,
    filters: Sequence[Filter[SearchAttribute]],
    limit: int,
    category_share: float,
) -> Dense:
    """What the search checks per listing, in one statement. A filter that more than `limit` value rows match,
    counted up to that many through its index (a millisecond or two): the planner cannot tell, as its
    statistics of `value_number` mix every key's values, so it takes a fifth of `grade` (1 to 10) for a hundred
    rows where there are 10,000 and starts the page from them. With words, a category of more than
    `category_share` of the listings: the planner ANDs the few thousand listings of a word's typos with
    the category's whole index (270,000 entries, 22 ms) to spare checking a category per listing (6 ms)."""
    by_category = bool(query.words) and query.category_id is not None
    if not filters and not by_category:
        return Dense()
    counts = [
        select(func.count())
        .select_from(
            select(literal(1))
            .where(
                Values.key == condition.attribute.key,
                value_condition(condition, Values.value_string, Values.value_number, Values.value_boolean),
            )
            .limit(limit + 1)
            .subquery()
        )
        .scalar_subquery()
        for condition in filters
    ]
    share = (
        _CATEGORY_SHARE.bindparams(category_id=query.category_id).scalar_subquery()
        if by_category
        else literal(None, Float)
    )
    *found, found_share = (await session.execute(select(*counts, share))).one()
    return Dense(
        frozenset(condition for condition, count in zip(filters, found, strict=True) if count > limit),
        found_share is not None and found_share > category_share,
    )


@dataclass(frozen=True)
class _Part:
    """A part of the matches that a page reads in the sort's order, one after the other: its share of the
    words' matches (None: all of them), its sort key, what it sorts by (the key, or the id alone where the
    part's score is one for all) and where it starts after a page token."""

    words: ColumnElement[bool] | None
    keys: list[ColumnElement]
    order: list[ColumnElement]
    after: list[ColumnElement[bool]]

    @property
    def by_id(self) -> bool:
        """A part of the words' matches whose score is one for all: read in id order alone."""
        return self.words is not None and len(self.order) == 1


async def _page(
    session: AsyncSession,
    query: SearchQuery,
    filters: Sequence[Filter[SearchAttribute]],
    dense: Dense,
    reader_id: UUID | None,
    sparse_part_matches: int,
) -> tuple[list[SearchHit], str]:
    """The page, read in the sort's order; what is dense checked per listing, so that it walks the index of
    its order (the category's, newest or cheapest first; the title's words) and stops at the page's end."""
    keys, descending, types = _order(query)
    after = query.after_key(*types)
    distance = distance_km(query) if query.near is not None else literal(None, Float)
    stmt = select(Listing, *view_columns(Listing.id, reader_id), distance.label("distance_km"))
    parts = _parts(query, keys, descending, after)
    if query.order is SearchSort.DISTANCE:
        stmt = await _within_page_distance(session, query, filters, parts[0].after, stmt)
    rows: list = []
    for part in parts:
        matching = [*match_conditions(query, filters, part.words, dense), *part.after]
        wanted = query.page.size + 1 - len(rows)
        sparse = await _sparse_ids(session, matching, descending, wanted, sparse_part_matches) if part.by_id else None
        if sparse is not None:
            matching = [_one_of(Listing.id, sparse)]
        page_part = (
            stmt.add_columns(*part.keys)
            .where(*matching)
            .order_by(*(key.desc() if descending else key.asc() for key in part.order))
            .limit(wanted)
        )
        rows += (await session.execute(page_part)).all()
        if len(rows) > query.page.size:
            break
    width = len(keys)
    # A search's token holds the query's fingerprint before the sort key.
    rows, token = page_result(rows, query.page, lambda row: (query.fingerprint(), *row[-width:]))
    hits = [SearchHit(ListingView(row[0], row[1], row[2], row[3]), row[4]) for row in rows]
    return hits, token


async def _sparse_ids(
    session: AsyncSession, matching: list[ColumnElement[bool]], descending: bool, wanted: int, most: int
) -> list[UUID] | None:
    """The ids of the part's first `wanted` matches in id order, when it has at most `most` of them (read all,
    through the words' index); None when it has more, for a walk of the primary key. The walk finds the page
    after some page size * listings / matches rows, more than the matches below about sqrt(page size *
    listings), 4,600 at 1,000,000 listings; the planner cannot tell (it takes computing a title's words for
    cheaper than reading a page) and walked 18,000 listings, 220 ms, for a word that 2,300 titles hold."""
    if most <= 0:
        return None
    found = list(await session.scalars(select(Listing.id).where(*matching).limit(most + 1)))
    if len(found) > most:
        return None
    return sorted(found, reverse=descending)[:wanted]


def _parts(query: SearchQuery, keys: list[ColumnElement], descending: bool, after: tuple | None) -> list[_Part]:
    """The parts a page reads. By relevance: the listings with every word in their title, the other full-text
    matches, then the typos, which the page reads only when the ones before do not fill it; a part is skipped
    once a token is past it. Any other sort, or none of q: all the matches in one part."""
    if query.order is not SearchSort.RELEVANCE or not query.words:
        past = (
            [] if after is None else [tuple_(*keys) < tuple_(*after) if descending else tuple_(*keys) > tuple_(*after)]
        )
        return [_Part(None, keys, keys, past)]
    parts = []
    title, full_text = _title_text(query), _full_text(query)
    for words, score in ((title, TITLE_SCORE), (and_(full_text, ~title), FULL_TEXT_SCORE)):
        if after is None or score < after[0]:
            parts.append(_Part(words, [literal(score, Float), Listing.id], [Listing.id], []))
        elif after[0] == score:
            parts.append(_Part(words, [literal(score, Float), Listing.id], [Listing.id], [Listing.id < after[1]]))
    typo_keys = [_typo_score(query), Listing.id]
    past = [] if after is None or after[0] >= FULL_TEXT_SCORE else [tuple_(*typo_keys) < tuple_(*after)]
    parts.append(_Part(and_(_typos(query), ~full_text), typo_keys, typo_keys, past))
    return parts


async def _within_page_distance(
    session: AsyncSession,
    query: SearchQuery,
    filters: Sequence[Filter[SearchAttribute]],
    past: list[ColumnElement[bool]],
    stmt: Select,
) -> Select:
    """The page's statement narrowed to the listings no farther than the page's last: the GIST index finds
    that one nearest first (`ORDER BY location <-> point`, which it answers alone, without the tie-break by
    id), and the page then reads and sorts only what lies within its distance, not the whole radius (8,000
    listings within 10 km of a city at 1,000,000 listings)."""
    metres = _metres(query)
    nearest = stmt.with_only_columns(metres).where(*match_conditions(query, filters), *past).order_by(metres)
    farthest = await session.scalar(nearest.offset(query.page.size).limit(1))
    if farthest is None:
        return stmt
    # A metre more: listings at the very same distance (ties, sorted by id) are all read.
    return stmt.where(func.ST_DWithin(Listing.location, _point(query), farthest + 1.0, False))


async def _facets(
    session: AsyncSession, counted: Select, attributes: Sequence[SearchAttribute]
) -> tuple[list[Facet], int]:
    """The facets and the count of the counted matches, in one statement: their ids read alone first (a plan
    that reads their columns as it finds them may start from a filter's values over the whole table: 60 ms
    where the ids alone take 5), then their rows once through the primary key, which both the column facets
    and the attribute facets count."""
    matched = (
        select(Listing.id, *(getattr(Listing, name) for name in COLUMN_FACETS), Listing.attributes)
        .where(Listing.id == any_(func.array(counted.scalar_subquery())))
        .cte("matched")
    )
    parts = [_column_facet_rows(matched)]
    if attributes:
        parts.append(_attribute_facet_rows(matched, attributes))
    found: dict[str, list[FacetValue]] = {name: [] for name in COLUMN_FACETS}
    found |= {f"attributes.{attribute.key}": [] for attribute in attributes}
    total = 0
    all_bits = (1 << len(COLUMN_FACETS)) - 1
    for bits, *values, key, string, boolean, range_low, range_high, index, count in await session.execute(
        union_all(*parts)
    ):
        if key is not None:
            found[f"attributes.{key}"].append(
                FacetValue(_attribute_facet_value(string, boolean, range_low, range_high, index), count)
            )
        elif bits == all_bits:
            total = count
        else:
            # The grouped column's bit is 0: it is the one set.
            column = next(i for i in range(len(COLUMN_FACETS)) if not bits & (1 << (len(COLUMN_FACETS) - 1 - i)))
            if values[column] is not None:
                value = values[column]
                found[COLUMN_FACETS[column]].append(FacetValue(str(getattr(value, "value", value)), count))
    return [Facet(name, ranked(values)) for name, values in found.items()], total


def _column_facet_rows(matched) -> Select:
    """The facets of game, category, condition and feed and, in the empty set, the count: one GROUPING SETS."""
    columns = [matched.c[name] for name in COLUMN_FACETS]
    return (
        select(func.grouping(*columns), *columns, *(null() for _ in range(ATTRIBUTE_FACET_GROUPS)), func.count())
        .select_from(matched)
        .group_by(text("GROUPING SETS ((game_id), (category_id), (condition), (feed), ())"))
    )


def _attribute_facet_rows(matched, attributes: Sequence[SearchAttribute]) -> Select:
    """The facets of the category's filterable attributes, from the matches' own `attributes`: text and boolean
    values counted as they are, numbers in ranges (`trading.search.number_ranges`). Probing
    listing_attribute_values for the matches read them again (12 ms of 1,000 matches), and a join hashed every
    value of the keys (1.8 million rows for a category of 30 % at 1,000,000 listings, 650 ms)."""
    by_key = {attribute.key: attribute for attribute in attributes}
    entry = (
        func.jsonb_each(matched.c.attributes)
        .table_valued(column("key", Text), column("value", JSONB))
        .render_derived(name="entry")
    )
    string, number, boolean = _typed(entry.c.value)
    columns = [
        entry.c.key,
        string.label("value_string"),
        boolean.label("value_boolean"),
        number.label("value_number"),
    ]
    # What the matches hold, for a number attribute that catalog gives no bounds (a window, a third of the
    # statement's time: only when one needs it).
    seen = any(attribute.type.is_numeric and not attribute.bounded for attribute in attributes)
    if seen:
        columns += [
            func.min(number).over(partition_by=entry.c.key).label("seen_low"),
            func.max(number).over(partition_by=entry.c.key).label("seen_high"),
        ]
    values = (
        select(*columns)
        .select_from(matched)
        .join(entry, true())
        .where(
            entry.c.key.in_(list(by_key)),
            func.jsonb_typeof(entry.c.value).in_(["string", "number", "boolean"]),
        )
        .subquery()
    )
    low = _defined_or_seen(values, by_key, lambda a: a.min_value, values.c.seen_low if seen else None)
    high = _defined_or_seen(values, by_key, lambda a: a.max_value, values.c.seen_high if seen else None)
    bucket = case(
        (values.c.value_number.is_(None), None),
        (high <= low, 0),
        else_=func.least(
            func.greatest(func.floor((values.c.value_number - low) / (high - low) * NUMBER_FACET_RANGES), 0),
            NUMBER_FACET_RANGES - 1,
        ),
    )
    bounds = (
        case((values.c.value_number.is_(None), None), else_=low),
        case((values.c.value_number.is_(None), None), else_=high),
    )
    grouped = [values.c.key, values.c.value_string, values.c.value_boolean, *bounds, bucket]
    return select(*(null() for _ in range(len(COLUMN_FACETS) + 1)), *grouped, func.count()).group_by(*grouped)


def _attribute_facet_value(
    string: str | None, boolean: bool | None, low: float | None, high: float | None, index: float | None
) -> str:
    """An attribute facet's value: a number's range, else the value as a filter writes it."""
    if index is not None:
        ranges = number_ranges(low, high)
        return range_value(*ranges[min(int(index), len(ranges) - 1)])
    return scalar_value(string if string is not None else boolean)


def _defined_or_seen(
    values, by_key: dict[str, SearchAttribute], bound: Callable[[SearchAttribute], float | None], seen
) -> ColumnElement:
    """A number attribute's range bound: catalog's when it defines both, else what the matches hold (`seen`,
    None when every number attribute has catalog's)."""
    defined = {key: float(bound(attribute)) for key, attribute in by_key.items() if attribute.bounded}
    if not defined:
        return literal(None, Float) if seen is None else seen
    return case(*((values.c.key == key, literal(value, Float)) for key, value in defined.items()), else_=seen)
