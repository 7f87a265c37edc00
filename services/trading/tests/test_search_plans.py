"""The PostgreSQL search backend's conditions can use their indexes: the stored document's through `@@`,
the title words' trigram one through `%` and then the title's own, the GIST one
only through ST_DWithin on geography, the value ones only through the typed column of the filter. On the
tests' few rows any plan is cheap, so each condition alone (without the status one, which other indexes
serve) is planned with sequential scans off: a plan without the index means it cannot serve it."""

import uuid

import pytest
from sqlalchemy import func, literal_column, select

from servicekit.filters import AttributeType, Filter
from testkit.plans import plan_without_seqscan
from trading.models import Listing, TitleWord
from trading.search import Near, SearchAttribute, SearchQuery
from trading.search.postgres import TITLE_DOCUMENT, Dense, match_conditions

SIZE = SearchAttribute("size", AttributeType.INTEGER, min_value=30, max_value=50)
COLOUR = SearchAttribute("colour", AttributeType.ENUM, allowed_values=("red", "white"))


async def plan_of(stack, query: SearchQuery, filters=()) -> str:
    # Without its first condition (the status).
    stmt = select(Listing.id).where(*match_conditions(query, list(filters))[1:])
    # Statistics as they are now: other tests' rows would otherwise leave the planner guessing between
    # indexes that share a first column. On empty tables the values' primary key, whose `key` every value
    # condition names, costs what the value indexes do: without it, a plan still without theirs means they
    # cannot serve.
    return await plan_without_seqscan(
        stack.database_urls["trading"],
        stmt,
        analyze=("listings", "listing_attribute_values"),
        without=[("listing_attribute_values", "pk_listing_attribute_values")],
    )


@pytest.mark.parametrize(
    ("query", "filters", "indexes"),
    [
        (SearchQuery(text="red sneakers"), (), ["ix_listings_search_document_stored", "ix_listings_title_document"]),
        (SearchQuery(near=Near(52.5, 13.4, 10)), (), ["idx_listings_location"]),
        (SearchQuery(), [Filter(SIZE, minimum=40.0, maximum=44.0)], ["ix_listing_attribute_values_number"]),
        (SearchQuery(), [Filter(COLOUR, values=("red",))], ["ix_listing_attribute_values_string"]),
    ],
)
async def test_each_search_condition_can_use_its_index(stack, query, filters, indexes):
    plan = await plan_of(stack, query, filters)
    assert all(index in plan for index in indexes), plan


@pytest.mark.parametrize(
    ("order", "index"),
    [
        ((Listing.created_at.desc(), Listing.id.desc()), "ix_listings_active_category_created_at"),
        ((Listing.price_minor, Listing.id), "ix_listings_active_category_price"),
    ],
)
async def test_a_categorys_page_reads_its_index_in_order_without_sorting(stack, order, index):
    query = SearchQuery(category_id=uuid.uuid4())
    stmt = select(Listing.id).where(*match_conditions(query, [])).order_by(*order).limit(21)
    plan = await plan_without_seqscan(stack.database_urls["trading"], stmt, analyze=("listings",))
    assert index in plan and "Sort" not in plan, plan


async def test_a_categorys_page_checks_a_dense_filter_per_listing_in_its_attributes(stack):
    """Walking the category's index newest first, not starting from the filter's values."""
    query, size = SearchQuery(category_id=uuid.uuid4()), Filter(SIZE, minimum=40.0, maximum=44.0)
    stmt = (
        select(Listing.id)
        .where(*match_conditions(query, [size], per_row=Dense(filters=frozenset([size]))))
        .order_by(Listing.created_at.desc(), Listing.id.desc())
        .limit(21)
    )
    plan = await plan_without_seqscan(
        stack.database_urls["trading"], stmt, analyze=("listings", "listing_attribute_values")
    )
    assert "ix_listings_active_category_created_at" in plan and "Sort" not in plan, plan
    assert "listing_attribute_values" not in plan, plan


async def test_words_check_a_dense_category_per_listing(stack):
    """The words' index leads; the category is no index's condition (not ANDed with the words' from its index)."""
    query = SearchQuery(text="red sneakers", category_id=uuid.uuid4())
    stmt = select(Listing.id).where(*match_conditions(query, [], per_row=Dense(category=True)))
    plan = await plan_without_seqscan(stack.database_urls["trading"], stmt, analyze=("listings",))
    assert "Index Cond: (category_id" not in plan and "IS DISTINCT FROM" in plan, plan


async def test_a_typo_finds_its_like_words_through_the_title_words_trigram_index(stack):
    """On the tests' few words a scan of the primary key is as cheap: index scans are off too, as a plan
    without the trigram index would then mean it cannot serve `%`."""
    stmt = select(TitleWord.word).where(TitleWord.word.op("%")("sneakres"))
    plan = await plan_without_seqscan(
        stack.database_urls["trading"], stmt, analyze=("title_words",), also_off=("indexscan", "indexonlyscan")
    )
    assert "ix_title_words_word_trgm" in plan, plan


async def test_the_titles_words_have_their_index(stack):
    words = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), "red sneakers")
    stmt = select(Listing.id).where(TITLE_DOCUMENT.op("@@")(words))
    plan = await plan_without_seqscan(stack.database_urls["trading"], stmt, analyze=("listings",))
    assert "ix_listings_title_document" in plan, plan
