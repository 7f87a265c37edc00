"""Use cases of transactions: read one, list the caller's, and the two answers to a paid physical
purchase: the buyer confirms it arrived, or the seller (or an admin) refunds it. The money moves through
the purchase saga (service/purchases.py)."""

from uuid import UUID

from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.errors import InvalidArgument
from servicekit.idempotency import Once, Replayed
from servicekit.pagination import Page, page_result
from trading.domain import transactions as domain
from trading.domain.transactions import Step, TransactionStatus
from trading.models import Transaction
from trading.repository import transactions as repository
from trading.service.purchases import Saga, drive, locked, step


async def get_transaction(saga: Saga, caller: Caller, transaction_id: UUID) -> Transaction:
    async with saga.db.begin() as session:
        transaction = await repository.get_transaction(session, transaction_id)
    if transaction is None or not domain.visible_to(
        transaction.buyer_id, transaction.seller_id, caller.user_id, caller.is_admin
    ):
        raise domain.TransactionNotFound(f"transaction {transaction_id} does not exist")
    return transaction


async def list_transactions(
    saga: Saga, caller: Caller, as_buyer: bool, as_seller: bool, status: TransactionStatus | None, page: Page
) -> tuple[list[Transaction], str]:
    """The caller's transactions as buyer, as seller, or both, newest first."""
    async with saga.db.begin() as session:
        found = await repository.list_transactions(session, caller.user_id, as_buyer, as_seller, status, page)
    return page_result(found, page, lambda transaction: (transaction.created_at, transaction.id))


async def _answer(saga: Saga, caller: Caller, transaction_id: UUID, how: Step, reason: str, once: Once) -> Transaction:
    """Moves a paid physical purchase as its party asks, then settles its escrow (or leaves that to the
    reconciler when accounts does not answer: the answer then has no settle_time yet). A repeated
    request_id answers the transaction as it is now."""
    try:
        async with saga.db.begin() as session:
            await idempotency.claim(session, once)
            listing, transaction = await locked(session, transaction_id)
            if not domain.visible_to(transaction.buyer_id, transaction.seller_id, caller.user_id, caller.is_admin):
                raise domain.TransactionNotFound(f"transaction {transaction_id} does not exist")
            if how is Step.COMPLETE:
                domain.check_confirmer(transaction.buyer_id, caller.user_id)
            else:
                domain.check_refunder(transaction.seller_id, caller.user_id, caller.is_admin)
            if transaction.item_id is not None:
                raise domain.GameItemCompletesItself("a game item's purchase completes by itself once paid")
            await step(session, saga, listing, transaction, how, reason=reason)
            await idempotency.complete(session, once, transaction)
    except Replayed:
        return await drive(saga, transaction_id)
    saga.crash_after("close")
    return await drive(saga, transaction_id)


async def confirm_transaction(saga: Saga, caller: Caller, transaction_id: UUID, once: Once) -> Transaction:
    """The buyer received the item: the purchase completes and the seller is paid from escrow."""
    return await _answer(saga, caller, transaction_id, Step.COMPLETE, "", once)


async def refund_transaction(saga: Saga, caller: Caller, transaction_id: UUID, reason: str, once: Once) -> Transaction:
    """The seller or an admin gives the buyer's money back; the listing is on sale again."""
    if violations := domain.check_reason(reason):
        raise InvalidArgument(violations)
    return await _answer(saga, caller, transaction_id, Step.REFUND, reason, once)
