import uuid

import pytest

from servicekit.auth import Call, Caller, Role
from servicekit.money import Money
from servicekit.values import Unsupported
from trading.domain.listings import (
    EDITABLE,
    LISTING_MASK,
    MAX_TITLE,
    MOVES,
    PUBLIC,
    CatalogFacts,
    ListingFields,
    ListingNotEditable,
    ListingStatus,
    Move,
    changed_fields,
    check_editable,
    check_fields,
    counts_as_view,
    item_violations,
    mask_fields,
    move,
    visible_to,
    with_catalog_facts,
)
from trading.domain.moves import IllegalTransition

S = ListingStatus
LEGAL = {
    (S.DRAFT, Move.PUBLISH): S.ACTIVE,
    (S.DRAFT, Move.CANCEL): S.CANCELLED,
    (S.ACTIVE, Move.CANCEL): S.CANCELLED,
    (S.ACTIVE, Move.RESERVE): S.RESERVED,
    (S.RESERVED, Move.RELEASE): S.ACTIVE,
    (S.RESERVED, Move.SELL): S.SOLD,
    (S.RESERVED, Move.WITHDRAW): S.CANCELLED,
}
EVERY = [(status, how) for status in S for how in Move]


@pytest.mark.parametrize(("status", "how"), EVERY)
def test_every_move_from_every_status_is_legal_only_as_the_table_says(status, how):
    if (status, how) in LEGAL:
        assert move(status, how) is LEGAL[status, how]
    else:
        with pytest.raises(IllegalTransition) as refused:
            move(status, how)
        assert refused.value.metadata == {"status": status.value, "move": how.value}


def test_sold_and_cancelled_are_final():
    assert not any(status in starts for starts, _ in MOVES.values() for status in (S.SOLD, S.CANCELLED))


def test_drafts_and_cancelled_listings_are_their_sellers_alone():
    seller, other = uuid.uuid4(), uuid.uuid4()
    assert {S.ACTIVE, S.RESERVED, S.SOLD} == PUBLIC
    for status in S:
        assert visible_to(status, seller, seller)
        assert visible_to(status, seller, other) is (status in PUBLIC)
        assert visible_to(status, seller, None) is (status in PUBLIC)


def test_only_drafts_and_active_listings_are_edited():
    assert {S.DRAFT, S.ACTIVE} == EDITABLE
    for status in set(S) - EDITABLE:
        with pytest.raises(ListingNotEditable):
            check_editable(status)


def test_a_view_counts_for_people_other_than_the_seller():
    seller = uuid.uuid4()
    as_user = Call("/GetListing", caller=Caller(uuid.uuid4(), Role.BUYER, "t"))
    assert counts_as_view(as_user, seller)
    assert counts_as_view(Call("/GetListing"), seller)
    assert not counts_as_view(Call("/GetListing", caller=Caller(seller, Role.SELLER, "t")), seller)
    assert not counts_as_view(Call("/GetListing", service="messaging"), seller)
    assert not counts_as_view(None, seller)


def test_a_title_is_trimmed_and_needed_without_an_item():
    fields, violations = check_fields(ListingFields(title="  Lamp  "))
    assert fields.title == "Lamp" and violations == []
    _, violations = check_fields(ListingFields(title=" "))
    assert [v.field for v in violations] == ["listing.title"]
    _, violations = check_fields(ListingFields(item_id=uuid.uuid4()))
    assert violations == []


def test_every_problem_of_text_links_and_values_is_reported():
    fields = ListingFields(
        title="x" * (MAX_TITLE + 1),
        description="x" * 10_001,
        attributes={"size": 42, "tags": Unsupported(), "note": None},
        image_urls=("https://ok.example.com/a.png", "", "mailto:me@example.com"),
        video_url="file:///etc/passwd",
        thumbnail_url="https://ok.example.com/t.png",
    )
    _, violations = check_fields(fields)
    assert [v.field for v in violations] == [
        "listing.title",
        "listing.description",
        "listing.attributes.tags",
        "listing.attributes.note",
        "listing.image_urls[1]",
        "listing.image_urls[2]",
        "listing.video_url",
    ]


def test_a_mask_names_top_level_fields_once_each():
    assert mask_fields(["price.currency", "price.amount_minor", "title", "location.latitude"]) == [
        "price",
        "title",
        "location",
    ]
    assert mask_fields(["*"]) == list(LISTING_MASK)


def test_the_changed_fields_are_those_whose_values_differ():
    before = ListingFields(title="A", price=Money("EUR", 100), attributes={"size": 42})
    after = ListingFields(title="A", price=Money("EUR", 90), attributes={"size": 42.0})
    assert changed_fields(before, after) == ["price"]


FACTS = CatalogFacts(uuid.uuid4(), uuid.uuid4(), {"wear": 0.1}, name="Redline", image_url="https://img/r.png")


def test_an_item_gives_its_name_and_picture_unless_the_seller_gives_their_own():
    listed = with_catalog_facts(ListingFields(item_id=uuid.uuid4()), FACTS)
    assert (listed.title, listed.image_urls, listed.category_id) == (
        "Redline",
        ("https://img/r.png",),
        FACTS.category_id,
    )
    own = with_catalog_facts(ListingFields(title="Mine", image_urls=("https://img/m.png",)), FACTS)
    assert (own.title, own.image_urls) == ("Mine", ("https://img/m.png",))


def test_an_item_listing_may_repeat_the_items_category_and_values_but_not_change_them():
    assert item_violations(ListingFields(category_id=FACTS.category_id, attributes={"wear": 0.1}), FACTS) == []
    violations = item_violations(ListingFields(category_id=uuid.uuid4(), attributes={"wear": 0.2}), FACTS)
    assert [v.field for v in violations] == ["listing.category_id", "listing.attributes"]
