"""The purchase saga: buy now or an accepted offer, from the reserved listing to the settled escrow.

    pending --hold placed--> paid --game item: transferred, captured--> completed
       |                       |--physical: the buyer confirms, or auto_complete_at passes--> completed, captured
       |                       |--physical: the seller or an admin refunds--> refunded, released
       |                       `--game item: the transfer is refused--> failed, released
       |--the buyer's funds are short--> failed
       `--accounts does not answer, or a crash leaves it pending past the grace--> cancelled, released if held

Every step may be repeated, by the request that started it, by a retry of that request, or by the
reconciler after a crash. The transaction's row decides the way: a step locks it and moves it only
from the status it expects, so of two drivers exactly one moves it and the other follows. The calls to
the other contexts carry keys made from the transaction (`<id>:hold`, `:transfer`, `:capture`,
`:release`), so a repeat does nothing more. Money moves after the status that decides it is committed:
a completed transaction is captured, any other final one released, and `settled_at` records that the
ledger holds nothing more for it.
"""

import logging
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.trading.v1 import resources_pb2
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.calls import Refused
from servicekit.db import Database, broken_constraint
from servicekit.errors import InvalidArgument, Unavailable
from servicekit.idempotency import Once, Replayed
from servicekit.money import Money
from servicekit.runtime_settings import SettingsStore
from trading import events
from trading.clients import Accounts, Catalog, Posting
from trading.domain import buy_orders as buy_order_rules
from trading.domain import transactions as domain
from trading.domain.listings import Move, move
from trading.domain.offers import ListingNotActive, OfferMove, OfferStatus
from trading.domain.settings import TradingRuntimeSettings
from trading.domain.transactions import FINAL, Step, TransactionStatus
from trading.models import Listing, Offer, Transaction
from trading.repository import buy_orders as buy_order_rows
from trading.repository import listings as listing_rows
from trading.repository import offers as offer_rows
from trading.repository import transactions as repository
from trading.repository.offers import OfferView
from trading.service import offers
from trading.service.common import visible_listing

log = logging.getLogger(__name__)

RECONCILE_BATCH = 200
ONE_ACCEPTED_OFFER_PER_LISTING = "uq_offers_listing_id_accepted"


@dataclass(frozen=True)
class Saga:
    """What drives a purchase: trading's database, the two contexts it calls, and the fault to inject
    (the step after which the process kills itself, for the crash tests; empty otherwise)."""

    db: Database
    accounts: Accounts
    catalog: Catalog
    runtime_settings: SettingsStore[TradingRuntimeSettings]
    fault: str = ""

    def crash_after(self, step: str) -> None:
        if self.fault == step:
            log.critical("SAGA_FAULT=%s: killing the process after this step", step)
            os.kill(os.getpid(), signal.SIGKILL)


def _now() -> datetime:
    return datetime.now(UTC)


def _amount(transaction: Transaction) -> Money:
    return Money(transaction.currency, transaction.amount_minor)


def _fee(transaction: Transaction) -> Money:
    return Money(transaction.currency, transaction.platform_fee_minor)


def start(
    session: AsyncSession, saga: Saga, listing: Listing, buyer_id: UUID, amount: Money, offer_id: UUID | None = None
) -> Transaction:
    """Adds the reserved listing's pending transaction, at the fee of the moment."""
    fee_bps = saga.runtime_settings.values.platform_fee_bps
    fee = domain.platform_fee(amount, fee_bps)
    transaction = repository.new_transaction(listing, buyer_id, amount, fee, fee_bps, offer_id)
    session.add(transaction)
    return transaction


async def started(session: AsyncSession, listing: Listing, transaction: Transaction) -> None:
    """Writes the new transaction and tells of it and of the reserved listing."""
    await session.flush()
    events.transaction_changed(session, transaction)
    events.listing_changed(session, await listing_rows.view_of(session, listing, None), ["status"])


async def buy_listing(saga: Saga, caller: Caller, listing_id: UUID, once: Once | None) -> Transaction:
    """Buys the listing at its price: the caller's funds are held, and a game item completes at once."""
    try:
        async with saga.db.begin() as session:
            await idempotency.claim(session, once)
            listing = await listing_rows.reserve(session, listing_id, caller.user_id)
            if listing is None:
                raise await _not_reserved(session, listing_id, caller)
            price = Money(listing.currency, listing.price_minor)
            transaction = start(session, saga, listing, caller.user_id, price)
            await started(session, listing, transaction)
            await idempotency.complete(session, once, transaction)
    except Replayed as replayed:
        first = resources_pb2.Transaction.FromString(replayed.response)
        return answer(await drive(saga, UUID(first.id)))
    saga.crash_after("reserve")
    return answer(await drive(saga, transaction.id, transaction))


async def _not_reserved(session: AsyncSession, listing_id: UUID, caller: Caller) -> Exception:
    """Why the listing could not be reserved for the caller: it is not theirs to see (404), it is their own
    (400), or it is not active (409)."""
    listing = await visible_listing(session, listing_id, caller.user_id)
    if listing.seller_id == caller.user_id:
        return InvalidArgument.field("listing_id", "is your own listing: buy someone else's")
    return offers.not_active(listing)


async def accept_offer(saga: Saga, caller: Caller, offer_id: UUID, once: Once) -> tuple[OfferView, Transaction]:
    """Accepts the offer, reserves its listing and buys it at the offer's amount for its buyer, in one saga.
    Of two accepts on one listing the second finds it reserved; the unique index on accepted offers is
    the rule should anything bypass the listing's lock."""
    try:
        async with saga.db.begin() as session:
            await idempotency.claim(session, once)
            listing, offer = await offers.locked(session, offer_id, caller, for_update=True)
            now = _now()
            offers.answer(offer, OfferMove.ACCEPT, caller, now)
            offers.check_active(listing)
            listing.status = move(listing.status, Move.RESERVE)
            amount = Money(offer.currency, offer.amount_minor)
            transaction = start(session, saga, listing, offer.buyer_id, amount, offer.id)
            await session.flush()
            await session.refresh(offer)
            events.offer_accepted(session, offer, transaction.id)
            await started(session, listing, transaction)
            await idempotency.complete(session, once, (offer_rows.offer_view(offer, now), transaction))
    except IntegrityError as exc:
        if broken_constraint(exc, asyncpg.UniqueViolationError) != ONE_ACCEPTED_OFFER_PER_LISTING:
            raise
        raise ListingNotActive("another offer on this listing was accepted first") from None
    except Replayed as replayed:
        transaction_id = UUID(pb.AcceptOfferResponse.FromString(replayed.response).transaction.id)
        transaction = answer(await drive(saga, transaction_id))
    else:
        saga.crash_after("reserve")
        transaction = answer(await drive(saga, transaction.id, transaction))
    async with saga.db.begin() as session:
        offer = await offer_rows.get_offer(session, offer_id)
        return offer_rows.offer_view(offer, _now()), transaction


def answer(transaction: Transaction) -> Transaction:
    """The transaction for the request that started it: a purchase that failed or was undone is an error
    (the same one each time the request is repeated)."""
    if transaction.status is TransactionStatus.FAILED:
        raise domain.PurchaseFailed(transaction.failure_reason, transaction.status_reason)
    if transaction.status is TransactionStatus.CANCELLED:
        raise domain.PurchaseUndone(
            f"this purchase was cancelled ({transaction.status_reason}): buy again with a new request_id"
        )
    return transaction


async def drive(saga: Saga, transaction_id: UUID, known: Transaction | None = None) -> Transaction:
    """Takes the transaction as far as it goes now. UNAVAILABLE when accounts does not answer before the
    funds are held (the purchase is then cancelled); past that point a context that does not answer
    leaves the rest to the reconciler, and the transaction is returned as it stands.

    `known` is the transaction as its caller just committed it, which spares reading it again: it is only
    where to start, since every step locks the row and moves it only from the status it expects."""
    transaction = known or await _read(saga.db, transaction_id)
    if transaction.status is TransactionStatus.PENDING:
        transaction = await _pay(saga, transaction)
    try:
        if transaction.status is TransactionStatus.PAID and transaction.item_id is not None:
            transaction = await _deliver(saga, transaction)
        if transaction.status in FINAL and transaction.settled_at is None:
            transaction = await _settle(saga, transaction)
    except Unavailable as exc:
        log.warning("transaction %s stays %s until the reconciler: %s", transaction.id, transaction.status, exc)
    return transaction


async def _read(db: Database, transaction_id: UUID) -> Transaction:
    async with db.begin() as session:
        transaction = await repository.get_transaction(session, transaction_id)
    if transaction is None:
        raise domain.TransactionNotFound(f"transaction {transaction_id} does not exist")
    return transaction


async def _pay(saga: Saga, transaction: Transaction) -> Transaction:
    """Holds the buyer's funds and marks the transaction paid; fails it when the funds are short, cancels
    it (and answers UNAVAILABLE) when accounts does not answer."""
    if transaction.buy_order_id is not None:
        # A buy order's fill draws on the order's hold, placed when the order opened.
        hold = Posting(transaction.hold_id, transaction.hold_posting_id)
        paid = await advance(saga, transaction, Step.PAY, hold=hold)
        saga.crash_after("pay")
        return paid
    key = f"{transaction.id}:hold"
    try:
        placed = await saga.accounts.hold(key, transaction.buyer_id, _amount(transaction), transaction.id)
    except Refused as refused:
        message = "the buyer's funds could not be held: " + refused.message
        return await advance(saga, transaction, Step.FAIL, reason=message, failure=refused.reason, settled=True)
    except Unavailable:
        await advance(saga, transaction, Step.CANCEL, reason="accounts did not answer in time")
        raise
    saga.crash_after("hold")
    paid = await advance(saga, transaction, Step.PAY, hold=placed)
    saga.crash_after("pay")
    return paid


async def _deliver(saga: Saga, transaction: Transaction) -> Transaction:
    """Transfers the game item to the buyer, pays the seller and completes; fails the purchase when catalog
    refuses the transfer (the item is gone, or no longer the seller's)."""
    try:
        transferred = await saga.catalog.transfer(
            f"{transaction.id}:transfer", transaction.item_id, transaction.seller_id, transaction.buyer_id
        )
    except Refused:
        transferred = False
    if not transferred:
        return await advance(
            saga,
            transaction,
            Step.FAIL,
            reason="the item could not be transferred: it is no longer the seller's",
            failure=domain.ITEM_NOT_TRANSFERABLE,
        )
    saga.crash_after("transfer")
    captured = await _capture(saga, transaction)
    saga.crash_after("capture")
    return await advance(saga, transaction, Step.COMPLETE, settled=True, settlement=captured, delivered=True)


async def _settle(saga: Saga, transaction: Transaction) -> Transaction:
    """Captures the hold of a completed transaction, releases that of any other final one. A transaction
    cancelled before its hold was recorded asks accounts for that hold again under the same key: accounts
    answers the first hold if there was one (or places it now), and it is released; short funds mean
    there was none."""
    hold_id, posting_id = transaction.hold_id, None
    if transaction.status is TransactionStatus.COMPLETED:
        posting_id = (await _capture(saga, transaction)).posting_id
    elif transaction.buy_order_id is not None:
        share = await _fill_share(saga.db, transaction)
        if share:
            released = await saga.accounts.release(
                f"{transaction.id}:release", hold_id, Money(transaction.currency, share)
            )
            posting_id = released.posting_id
    else:
        if hold_id is None:
            try:
                hold_id = (
                    await saga.accounts.hold(
                        f"{transaction.id}:hold", transaction.buyer_id, _amount(transaction), transaction.id
                    )
                ).hold_id
            except Refused:
                hold_id = None
        if hold_id is not None:
            posting_id = (await saga.accounts.release(f"{transaction.id}:release", hold_id)).posting_id
    saga.crash_after("settle")
    async with saga.db.begin() as session:
        locked = await repository.get_transaction(session, transaction.id, for_update=True)
        if locked.settled_at is None:
            locked.hold_id = locked.hold_id or hold_id
            locked.settle_posting_id = posting_id
            locked.settled_at = _now()
            await session.flush()
            events.transaction_changed(session, locked)
        return locked


async def _capture(saga: Saga, transaction: Transaction) -> Posting:
    """Pays the seller from the hold: all of it for a purchase of its own; for a buy order's fill the price,
    and the rest of the fill's part of the order's hold (its max price) goes back to the buyer."""
    key = f"{transaction.id}:capture"
    if transaction.buy_order_id is None:
        return await saga.accounts.capture(key, transaction.hold_id, transaction.seller_id, _fee(transaction))
    captured = await saga.accounts.capture(
        key, transaction.hold_id, transaction.seller_id, _fee(transaction), _amount(transaction)
    )
    rest = await _fill_share(saga.db, transaction) - transaction.amount_minor
    if rest > 0:
        await saga.accounts.release(f"{transaction.id}:release", transaction.hold_id, Money(transaction.currency, rest))
    return captured


async def _fill_share(db: Database, transaction: Transaction) -> int:
    """What of its order's hold a fill draws on; 0 once it gave its unit back to the order."""
    async with db.begin() as session:
        return (await buy_order_rows.get_fill(session, transaction.id)).held_minor


async def advance(saga: Saga, transaction: Transaction, how: Step, **changes: Any) -> Transaction:
    """Moves the transaction by the step if it is still where the step starts (see `step`); otherwise
    returns it as another driver left it."""
    async with saga.db.begin() as session:
        listing, locked_transaction = await locked(session, transaction.id, transaction.listing_id)
        if locked_transaction.status in domain.STEPS[how][0]:
            await step(session, saga, listing, locked_transaction, how, **changes)
        return locked_transaction


async def locked(
    session: AsyncSession, transaction_id: UUID, listing_id: UUID | None = None
) -> tuple[Listing, Transaction]:
    """The transaction's listing locked, then the transaction: listing first, as every use case locks them.
    NOT_FOUND for a transaction that does not exist. A caller that knows the listing (it never changes)
    spares reading the transaction before the locks."""
    if listing_id is None:
        found = await repository.get_transaction(session, transaction_id)
        if found is None:
            raise domain.TransactionNotFound(f"transaction {transaction_id} does not exist")
        listing_id = found.listing_id
    listing = await listing_rows.get_listing(session, listing_id, for_update=True)
    return listing, await repository.get_transaction(session, transaction_id, for_update=True)


async def step(
    session: AsyncSession,
    saga: Saga,
    listing: Listing,
    transaction: Transaction,
    how: Step,
    *,
    reason: str = "",
    failure: str = "",
    hold: Posting | None = None,
    settled: bool = False,
    settlement: Posting | None = None,
    delivered: bool = False,
) -> None:
    """Moves the locked transaction by the step (409 from a status the step does not start from), with what
    the step changes on its listing and offer. `settled`: the ledger holds nothing more for it (captured on
    the way here by `settlement`, or nothing was ever held)."""
    now = _now()
    transaction.status = domain.step(transaction.status, how)
    transaction.status_reason = reason
    transaction.failure_reason = failure
    if hold is not None:
        transaction.hold_id, transaction.hold_posting_id, transaction.paid_at = hold.hold_id, hold.posting_id, now
        if transaction.item_id is None:
            transaction.auto_complete_at = now + saga.runtime_settings.values.auto_complete_after
    if delivered:
        transaction.item_transferred_at = now
    if settled:
        transaction.settle_posting_id = settlement.posting_id if settlement else None
        transaction.settled_at = now
    if transaction.status in FINAL:
        transaction.closed_at = now
        # After every change of the transaction: the queries in here flush it, in one UPDATE.
        await _close_listing(session, listing, transaction, how, failure)
    await session.flush()
    events.transaction_changed(session, transaction)


async def _close_listing(
    session: AsyncSession, listing: Listing, transaction: Transaction, how: Step, failure: str
) -> None:
    """What the end of a purchase does to its listing and its offer: a completed one sells the listing and
    ends its pending offers; any other puts it back on sale (or withdraws it when its item is gone) and
    voids the accepted offer."""
    if how is Step.COMPLETE:
        listing.status = move(listing.status, Move.SELL)
        await offers.end_on_listing_change(session, listing.id)
        events.listing_sold(session, listing, transaction.buyer_id, transaction.id, _amount(transaction))
    else:
        gone = failure == domain.ITEM_NOT_TRANSFERABLE
        listing.status = move(listing.status, Move.WITHDRAW if gone else Move.RELEASE)
        if transaction.offer_id is not None:
            await _void(session, transaction.offer_id)
        if transaction.buy_order_id is not None:
            await _give_back_unit(session, transaction)
    await session.flush()
    events.listing_changed(session, await listing_rows.view_of(session, listing, None), ["status"])


async def _give_back_unit(session: AsyncSession, transaction: Transaction) -> None:
    """A buy order's fill that did not go through gives its unit back to the order while the order can
    still buy another listing with it (its part of the hold stays held for that); otherwise its part is
    released when it settles. The order is locked after the listing and the transaction, as everywhere."""
    order = await buy_order_rows.get_order(session, transaction.buy_order_id, for_update=True)
    if not buy_order_rules.takes_back_unit(order.status, order.expire_at, _now()):
        return
    fill = await buy_order_rows.get_fill(session, transaction.id, for_update=True)
    fill.held_minor = 0
    order.quantity_filled -= 1
    order.status = buy_order_rules.BuyOrderStatus.OPEN
    order.query.open = True


async def _void(session: AsyncSession, offer_id: UUID) -> None:
    offer: Offer = await offer_rows.get_offer(session, offer_id, for_update=True)
    if offer.status is OfferStatus.ACCEPTED:
        offer.status = OfferStatus.VOIDED
        events.offer_changed(session, offer)


async def reconcile(saga: Saga, grace: timedelta) -> int:
    """Finishes or undoes the purchases a crash or an unreachable context left half-way, and completes the
    paid physical ones past their auto_complete_at; how many it looked at. Safe on every replica at once."""
    async with saga.db.begin() as session:
        due = await repository.unfinished(session, _now(), grace, RECONCILE_BATCH)
    for transaction_id in due:
        try:
            await _reconcile_one(saga, transaction_id)
        except Unavailable as exc:
            log.warning("reconciling transaction %s: %s; trying again later", transaction_id, exc)
    return len(due)


async def _reconcile_one(saga: Saga, transaction_id: UUID) -> None:
    transaction = await _read(saga.db, transaction_id)
    if transaction.status is TransactionStatus.PENDING and transaction.buy_order_id is None:
        # Its request died or gave up before the funds were known to be held: undo it. (A buy order's
        # fill has its funds held already: it goes on.)
        await advance(saga, transaction, Step.CANCEL, reason="not paid in time")
    elif domain.awaits_confirmation(transaction.status, transaction.item_id, transaction.auto_complete_at, _now()):
        await advance(saga, transaction, Step.COMPLETE, reason="not confirmed by the buyer in time")
    await drive(saga, transaction_id)
