"""Use cases of offers: make, read, list, reject, counter, cancel (accepting starts a purchase:
service/purchases.py); the end of pending offers when their listing changes, and the sweeper of those
past their expiry.

Locks are taken listing first, then offers, in every use case, so none waits for another in a cycle:
an answer locks the offer FOR UPDATE; accepting locks the listing FOR NO KEY UPDATE before it (of two
accepts on one listing the second finds it reserved); making or countering an offer locks the listing
FOR SHARE, so that a cancel or an edit, which ends the pending offers, cannot pass it unseen.
"""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.idempotency import Once
from servicekit.money import Money
from servicekit.pagination import Page, page_result
from trading import events
from trading.domain import offers as domain
from trading.domain.listings import ListingStatus
from trading.domain.offers import OfferMove, OfferStatus, OfferTerms
from trading.domain.settings import TradingRuntimeSettings
from trading.models import Listing, Offer
from trading.repository import listings as listing_rows
from trading.repository import offers as repository
from trading.repository.offers import OfferView
from trading.service.common import visible_listing

SWEEP_BATCH = 500


def _now() -> datetime:
    return datetime.now(UTC)


def not_active(listing: Listing) -> domain.ListingNotActive:
    return domain.ListingNotActive(
        f"a {listing.status.value} listing takes no offers or purchases: only an active one does",
        metadata={"status": listing.status.value},
    )


def check_active(listing: Listing) -> None:
    if listing.status is not ListingStatus.ACTIVE:
        raise not_active(listing)


def _proposed(
    listing: Listing,
    settings: TradingRuntimeSettings,
    terms: OfferTerms,
    violations: list[FieldViolation],
    buyer_id: UUID,
    proposer_id: UUID,
    now: datetime,
) -> Offer:
    """A new pending offer on the active listing, or INVALID_ARGUMENT with every problem of its terms."""
    price = Money(listing.currency, listing.price_minor)
    lifetime, found = domain.check_terms(terms, price, settings.offer_default_lifetime, settings.offer_max_lifetime)
    if violations + found:
        raise InvalidArgument(violations + found)
    check_active(listing)
    return repository.new_offer(listing, buyer_id, proposer_id, terms.amount, terms.message, now + lifetime)


async def create_offer(
    db: Database,
    settings: TradingRuntimeSettings,
    caller: Caller,
    listing_id: UUID,
    terms: OfferTerms,
    violations: list[FieldViolation],
    once: Once | None,
) -> OfferView:
    """The caller's offer on someone else's active listing; `violations` are those found reading the request."""
    if not settings.is_enabled("offers_enabled", caller.user_id):
        raise domain.OffersDisabled("offers are not open to you yet")
    async with db.begin() as session:
        await idempotency.claim(session, once)
        listing = await visible_listing(session, listing_id, caller.user_id, for_share=True)
        if listing.seller_id == caller.user_id:
            violations = [*violations, FieldViolation("listing_id", "is your own listing: offers are for buyers")]
        now = _now()
        offer = _proposed(listing, settings, terms, violations, caller.user_id, caller.user_id, now)
        session.add(offer)
        await session.flush()
        await session.refresh(offer)
        events.offer_made(session, offer)
        view = repository.offer_view(offer, now)
        await idempotency.complete(session, once, view)
    return view


async def _offer_for(session: AsyncSession, offer_id: UUID, user_id: UUID, *, for_update: bool = False) -> Offer:
    """The offer if the user is its buyer or seller; NOT_FOUND for anyone else."""
    offer = await repository.get_offer(session, offer_id, for_update=for_update)
    if offer is None or not domain.visible_to(offer.buyer_id, offer.seller_id, user_id):
        raise domain.OfferNotFound(f"offer {offer_id} does not exist")
    return offer


async def get_offer(db: Database, caller: Caller, offer_id: UUID) -> OfferView:
    async with db.begin() as session:
        return repository.offer_view(await _offer_for(session, offer_id, caller.user_id), _now())


async def list_offers(
    db: Database, caller: Caller, listing_id: UUID, status: OfferStatus | None, page: Page
) -> tuple[list[OfferView], str]:
    """The listing's offers, newest first: all of them for its seller, the caller's own negotiation for anyone else."""
    async with db.begin() as session:
        listing = await visible_listing(session, listing_id, caller.user_id)
        buyer_id = None if listing.seller_id == caller.user_id else caller.user_id
        views = await repository.list_offers(session, listing.id, buyer_id, status, _now(), page)
    return page_result(views, page, lambda view: (view.offer.created_at, view.offer.id))


async def locked(
    session: AsyncSession, offer_id: UUID, caller: Caller, *, for_update: bool = False, for_share: bool = False
) -> tuple[Listing, Offer]:
    """The offer's listing locked as asked, then the offer FOR UPDATE: listing first, as everywhere."""
    found = await _offer_for(session, offer_id, caller.user_id)
    listing = await listing_rows.get_listing(session, found.listing_id, for_update=for_update, for_share=for_share)
    return listing, await _offer_for(session, offer_id, caller.user_id, for_update=True)


def answer(offer: Offer, how: OfferMove, caller: Caller, now: datetime) -> None:
    """Moves the offer as the caller asks, if they may and it is still pending (an offer past its expiry is not)."""
    domain.check_party(how, offer.proposer_id, offer.buyer_id, offer.seller_id, caller.user_id)
    offer.status = domain.move(domain.status_at(offer.status, offer.expire_at, now), how)


async def _end(db: Database, caller: Caller, offer_id: UUID, how: OfferMove) -> OfferView:
    async with db.begin() as session:
        offer = await _offer_for(session, offer_id, caller.user_id, for_update=True)
        now = _now()
        answer(offer, how, caller, now)
        await session.flush()
        await session.refresh(offer)
        events.offer_changed(session, offer)
        return repository.offer_view(offer, now)


async def reject_offer(db: Database, caller: Caller, offer_id: UUID) -> OfferView:
    """Turns the offer down; by its recipient."""
    return await _end(db, caller, offer_id, OfferMove.REJECT)


async def cancel_offer(db: Database, caller: Caller, offer_id: UUID) -> OfferView:
    """Withdraws the offer; by its proposer."""
    return await _end(db, caller, offer_id, OfferMove.CANCEL)


async def counter_offer(
    db: Database,
    settings: TradingRuntimeSettings,
    caller: Caller,
    offer_id: UUID,
    terms: OfferTerms,
    violations: list[FieldViolation],
    once: Once | None,
) -> OfferView:
    """Answers the offer with another amount: it becomes countered, and the new pending offer, proposed by the
    caller to the other party in the same negotiation, is returned."""
    async with db.begin() as session:
        await idempotency.claim(session, once)
        listing, offer = await locked(session, offer_id, caller, for_share=True)
        now = _now()
        answer(offer, OfferMove.COUNTER, caller, now)
        counter = _proposed(listing, settings, terms, violations, offer.buyer_id, caller.user_id, now)
        counter.previous_offer_id = offer.id
        session.add(counter)
        await session.flush()
        await session.refresh(offer)
        await session.refresh(counter)
        events.offer_changed(session, offer)
        events.offer_made(session, counter)
        view = repository.offer_view(counter, now)
        await idempotency.complete(session, once, view)
    return view


async def end_on_listing_change(
    session: AsyncSession,
    listing_id: UUID,
    changed: list[str] | None = None,
    before: Money | None = None,
    after: Money | None = None,
) -> None:
    """Expires the pending offers a change of their listing ends (services/trading/README.md, "Pending
    offers"): every one when it is cancelled (no `changed`), those the change makes moot otherwise."""
    for offer in await repository.pending_offers(session, listing_id):
        amount = Money(offer.currency, offer.amount_minor)
        if changed is None or domain.ended_by_listing_change(changed, before, after, amount):
            await _expire(session, offer)


async def _expire(session: AsyncSession, offer: Offer) -> None:
    offer.status = domain.move(OfferStatus.PENDING, OfferMove.EXPIRE)
    events.offer_changed(session, offer)


async def sweep_expired_offers(db: Database) -> int:
    """Marks expired the pending offers past their expiry, in batches; how many it marked. Every replica may
    sweep at once: each skips the offers another holds."""
    swept = 0
    while True:
        async with db.begin() as session:
            overdue = await repository.overdue_offers(session, _now(), SWEEP_BATCH)
            for offer in overdue:
                await _expire(session, offer)
        swept += len(overdue)
        if len(overdue) < SWEEP_BATCH:
            return swept
