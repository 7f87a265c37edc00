"""Facets count every match, not only the page: the listing's own fields and the category's filterable
attributes, numbers in ranges, most frequent first."""

from marketplace.trading.v1 import resources_pb2

from ..trading_support import eur
from .search_support import facet, listed


async def test_facets_count_every_match_most_frequent_first(search, trading, seller, sneakers):
    good, new = resources_pb2.CONDITION_GOOD, resources_pb2.CONDITION_NEW
    specs = [
        ({"size": 31, "colour": "red", "weight": 1.0, "boxed": True, "note": "a"}, good, resources_pb2.FEED_DISCOVER),
        ({"size": 44, "colour": "red", "weight": 2.0, "boxed": True, "note": "b"}, good, resources_pb2.FEED_DISCOVER),
        ({"size": 45, "colour": "black", "weight": 3.0, "boxed": False}, new, resources_pb2.FEED_COMMUNITY),
        ({"size": 50, "colour": "red", "brand": "Acme"}, good, resources_pb2.FEED_DISCOVER),
    ]
    for attributes, condition, feed in specs:
        await listed(trading, seller, sneakers.id, attributes=attributes, condition=condition, feed=feed)

    page = await search(category_id=sneakers.id, page_size=1)
    assert len(page.listings) == 1 and page.total_size == 4
    assert facet(page, "game_id") == [(sneakers.game_id, 4)]
    assert facet(page, "category_id") == [(sneakers.id, 4)]
    assert facet(page, "condition") == [("CONDITION_GOOD", 3), ("CONDITION_NEW", 1)]
    assert facet(page, "feed") == [("FEED_DISCOVER", 3), ("FEED_COMMUNITY", 1)]
    assert facet(page, "attributes.colour") == [("red", 3), ("black", 1)]
    assert facet(page, "attributes.boxed") == [("true", 2), ("false", 1)]
    assert facet(page, "attributes.brand") == [("Acme", 1)]
    # Size has bounds (30 to 50): five equal ranges of them; a value on a boundary counts in the upper one.
    assert facet(page, "attributes.size") == [("42..46", 2), ("30..34", 1), ("46..50", 1)]
    # Weight has none: five equal ranges from the smallest to the largest value matched.
    assert facet(page, "attributes.weight") == [("1..1.4", 1), ("1.8..2.2", 1), ("2.6..3", 1)]
    # Not filterable, not faceted.
    assert "attributes.note" not in [found.field for found in page.facets]


async def test_facets_follow_the_filters(search, trading, seller, sneakers):
    await listed(trading, seller, sneakers.id, attributes={"size": 40, "colour": "red"}, price=eur(1000))
    await listed(trading, seller, sneakers.id, attributes={"size": 41, "colour": "white"}, price=eur(2000))
    await listed(trading, seller, sneakers.id, attributes={"size": 42, "colour": "white"}, price=eur(3000))
    page = await search(category_id=sneakers.id, attributes=["colour:white"], currency="EUR", max_price=2500)
    assert page.total_size == 1
    assert facet(page, "attributes.colour") == [("white", 1)]
    assert facet(page, "attributes.size") == [("38..42", 1)]
    empty = await search(category_id=sneakers.id, q="nothing like it")
    assert empty.total_size == 0 and facet(empty, "attributes.colour") == [] and facet(empty, "game_id") == []


async def test_without_a_category_there_are_no_attribute_facets(search, trading, seller, sneakers):
    await listed(trading, seller, sneakers.id, attributes={"size": 40, "colour": "red"})
    page = await search(seller_id=seller.id)
    assert [found.field for found in page.facets] == ["game_id", "category_id", "condition", "feed"]
    assert facet(page, "category_id") == [(sneakers.id, 1)]
