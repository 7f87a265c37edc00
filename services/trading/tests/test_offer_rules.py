"""The rules of offers, without I/O: moves from pending, who answers, expiry, terms, listing changes."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from servicekit.money import Money
from trading.domain.offers import (
    NotOfferProposer,
    NotOfferRecipient,
    OfferMove,
    OfferNotPending,
    OfferStatus,
    OfferTerms,
    check_party,
    check_terms,
    ended_by_listing_change,
    move,
    status_at,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
BUYER, SELLER = uuid.uuid4(), uuid.uuid4()


def test_a_pending_offer_reads_expired_from_its_expiry_on_and_an_ended_one_keeps_its_status():
    assert status_at(OfferStatus.PENDING, NOW + timedelta(seconds=1), NOW) is OfferStatus.PENDING
    assert status_at(OfferStatus.PENDING, NOW, NOW) is OfferStatus.EXPIRED
    assert status_at(OfferStatus.REJECTED, NOW - timedelta(days=1), NOW) is OfferStatus.REJECTED


@pytest.mark.parametrize("status", [s for s in OfferStatus if s is not OfferStatus.PENDING])
@pytest.mark.parametrize("how", list(OfferMove))
def test_only_a_pending_offer_moves(status, how):
    with pytest.raises(OfferNotPending):
        move(status, how)


def test_the_recipient_answers_and_the_proposer_cancels():
    check_party(OfferMove.ACCEPT, BUYER, BUYER, SELLER, SELLER)
    check_party(OfferMove.ACCEPT, SELLER, BUYER, SELLER, BUYER)
    check_party(OfferMove.CANCEL, SELLER, BUYER, SELLER, SELLER)
    with pytest.raises(NotOfferRecipient):
        check_party(OfferMove.COUNTER, BUYER, BUYER, SELLER, BUYER)
    with pytest.raises(NotOfferProposer):
        check_party(OfferMove.CANCEL, BUYER, BUYER, SELLER, SELLER)


def test_terms_take_the_default_lifetime_and_refuse_what_the_settings_and_price_do_not_allow():
    price = Money("EUR", 10000)
    lifetime, problems = check_terms(OfferTerms(Money("EUR", 9999)), price, timedelta(days=2), timedelta(days=7))
    assert lifetime == timedelta(days=2) and problems == []
    _, problems = check_terms(
        OfferTerms(Money("EUR", 10000), "x" * 2001, 7 * 86400 + 1), price, timedelta(days=2), timedelta(days=7)
    )
    assert [p.field for p in problems] == ["amount.amount_minor", "message", "expires_in"]


def test_a_listing_change_ends_the_offers_it_makes_moot():
    eur = Money("EUR", 10000)
    assert ended_by_listing_change(["price"], eur, Money("EUR", 8000), Money("EUR", 8000))
    assert not ended_by_listing_change(["price"], eur, Money("EUR", 8000), Money("EUR", 7999))
    assert ended_by_listing_change(["price"], eur, Money("USD", 20000), Money("EUR", 10))
    assert ended_by_listing_change(["condition"], eur, eur, Money("EUR", 10))
    assert not ended_by_listing_change(["title", "location"], eur, eur, Money("EUR", 10))
