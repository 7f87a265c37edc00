"""Use cases of wallets: deposit, hold, capture and release money, and read a wallet and its entries.

Each money movement is one posting of the ledger (repository.ledger), made once per idempotency
key: the key is unique in the database, and a retry, or a concurrent repeat that waited for the
first one's locks, gets the first posting back instead of a second effect.
"""

import uuid
from datetime import datetime
from uuid import UUID

import asyncpg

from accounts.domain.ledger import (
    InsufficientFunds,
    Leg,
    PostingKind,
    capture_legs,
    check_funds,
    deposit_allowed,
    deposit_legs,
    hold_legs,
    platform_shard,
    release_legs,
)
from accounts.domain.users import UserNotFound
from accounts.repository import constraint_name
from accounts.repository.ledger import (
    NEGATIVE_BALANCE,
    RETRYABLE,
    USER_MISSING,
    DuplicatePosting,
    Entry,
    Ledger,
    Posting,
    WalletBalance,
    account_key,
)
from servicekit.auth import Caller
from servicekit.errors import Aborted, FailedPrecondition
from servicekit.money import Money
from servicekit.pagination import Page, page_result

# A posting that deadlocks (it cannot, given the lock order, but PostgreSQL may still choose a
# victim) or finds an account gone from the cache is tried again this many times in all.
MAX_ATTEMPTS = 3


class _AccountsChanged(Exception):
    """A lock found fewer accounts than the cache promised."""


async def deposit(
    ledger: Ledger, caller: Caller, amount: Money, request_id: str, *, development: bool
) -> WalletBalance:
    """Tops up the caller's wallet from outside the marketplace, and returns the wallet."""
    deposit_allowed(development=development, is_admin=caller.is_admin)
    legs = deposit_legs(caller.user_id, amount.amount_minor)
    # Users choose their own keys: the scope keeps one user's key from ever meeting another's.
    await _post(ledger, PostingKind.DEPOSIT, f"deposit:{caller.user_id}", request_id or uuid.uuid4().hex, amount, legs)
    [wallet] = await ledger.wallets(caller.user_id, amount.currency)
    return wallet


async def hold_funds(
    ledger: Ledger, request_id: str, user_id: UUID, amount: Money, transaction_id: UUID | None
) -> Posting:
    """Buyer's available -> held; INSUFFICIENT_FUNDS when the available balance is short."""
    legs = hold_legs(user_id, amount.amount_minor)
    return await _post(ledger, PostingKind.HOLD, PostingKind.HOLD.value, request_id, amount, legs, transaction_id)


async def capture_funds(
    ledger: Ledger,
    request_id: str,
    buyer_id: UUID,
    seller_id: UUID,
    amount: Money,
    fee_minor: int,
    transaction_id: UUID | None,
) -> Posting:
    """Buyer's held -> seller's available (amount minus fee) and platform fees (the fee)."""
    legs = capture_legs(buyer_id, seller_id, amount.amount_minor, fee_minor)
    return await _post(ledger, PostingKind.CAPTURE, PostingKind.CAPTURE.value, request_id, amount, legs, transaction_id)


async def release_funds(
    ledger: Ledger, request_id: str, user_id: UUID, amount: Money, transaction_id: UUID | None
) -> Posting:
    """Buyer's held -> back to their available balance."""
    legs = release_legs(user_id, amount.amount_minor)
    return await _post(ledger, PostingKind.RELEASE, PostingKind.RELEASE.value, request_id, amount, legs, transaction_id)


async def get_wallets(ledger: Ledger, caller: Caller) -> list[WalletBalance]:
    return await ledger.wallets(caller.user_id)


async def list_entries(ledger: Ledger, caller: Caller, currency: str, page: Page) -> tuple[list[Entry], str]:
    """The caller's entries (of their available and held accounts), newest first."""
    entries = await ledger.user_entries(caller.user_id, currency, page.after_key(datetime, UUID), page.size + 1)
    return page_result(entries, page, key=lambda entry: (entry.created_at, entry.id))


async def _post(
    ledger: Ledger,
    kind: PostingKind,
    scope: str,
    request_id: str,
    amount: Money,
    legs: list[Leg],
    transaction_id: UUID | None = None,
) -> Posting:
    shard = platform_shard(request_id)
    for _ in range(MAX_ATTEMPTS):
        try:
            ids = await ledger.account_ids(amount.currency, legs, shard)
        except asyncpg.ForeignKeyViolationError as error:
            if constraint_name(error) != USER_MISSING:
                raise
            raise UserNotFound("a user this posting names does not exist") from error
        lines = [(ids[account_key(leg, amount.currency, shard)], leg) for leg in legs]
        try:
            return await _post_once(ledger, kind, scope, request_id, amount.currency, lines, transaction_id)
        except DuplicatePosting:
            # The same key committed first, after our locks were granted; its posting is the answer.
            if first := await ledger.find_posting(scope, request_id):
                return first
        except _AccountsChanged:
            ledger.forget()
        except RETRYABLE:
            pass
        except asyncpg.CheckViolationError as error:
            # The database's own guard; the check under the locks should have refused first.
            if constraint_name(error) != NEGATIVE_BALANCE:
                raise
            raise InsufficientFunds("the balance is too low for this posting") from error
    raise Aborted("the posting kept conflicting with others; try again")


async def _post_once(
    ledger: Ledger,
    kind: PostingKind,
    scope: str,
    request_id: str,
    currency: str,
    lines: list[tuple[UUID, Leg]],
    transaction_id: UUID | None,
) -> Posting:
    async with ledger.transaction() as tx:
        balances, existing = await tx.lock(sorted({account_id for account_id, _ in lines}), scope, request_id)
        if len(balances) < len({account_id for account_id, _ in lines}):
            raise _AccountsChanged()
        if existing is not None:
            return await tx.posting(scope, request_id)
        try:
            check_funds(
                [leg for _, leg in lines],
                {(leg.account, leg.user_id): balances[account_id] for account_id, leg in lines},
            )
        except FailedPrecondition:
            # A repeat whose first request committed while we waited for the locks is not short of
            # money: the first posting is its answer.
            if first := await tx.posting(scope, request_id):
                return first
            raise
        return await tx.insert(
            kind=kind,
            scope=scope,
            request_id=request_id,
            transaction_id=transaction_id,
            currency=currency,
            lines=lines,
        )
