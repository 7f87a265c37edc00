"""Use cases of wallets: deposit; hold money, then capture or release the hold; read a wallet and its entries.

Each money movement is one posting of the ledger (repository.ledger), made once per idempotency
key. The kit's key (servicekit.idempotency) is claimed with the posting, before its accounts are
locked: a repeat gets the first response, a key reused for another request is refused. The posting keeps
the key too, unique in the database, so a retry that comes after the kit's keys are gone gets the
first posting back instead of a second effect. A capture or a release names its hold, reads what is
left of it, and is written only while that is still what is left, so the postings of one hold take
turns and never take more than is left of it.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import asyncpg

from accounts.domain.ledger import (
    HoldNotFound,
    InsufficientFunds,
    Leg,
    PostingKind,
    capture_legs,
    check_fee,
    check_funds,
    deposit_allowed,
    deposit_legs,
    hold_legs,
    platform_shard,
    release_legs,
    settle,
)
from accounts.domain.users import UserNotFound
from accounts.repository import ledger as postings
from accounts.repository import ledger_reads
from accounts.repository.ledger import (
    NEGATIVE_BALANCE,
    RETRYABLE,
    USER_MISSING,
    AccountsChanged,
    AccountsMissing,
    DuplicatePosting,
    HoldAndPosting,
    HoldChanged,
    Ledger,
)
from accounts.repository.ledger_reads import Entry, Hold, WalletBalance
from servicekit import audit as audit_log
from servicekit.auth import Caller
from servicekit.db import broken_constraint
from servicekit.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound
from servicekit.idempotency import Once
from servicekit.money import Money
from servicekit.pagination import Page, page_result

# A posting that deadlocks (it cannot, given the lock order, but PostgreSQL may still choose a
# victim), meets a duplicate, or needs accounts that are not cached is tried again this many times in all.
MAX_ATTEMPTS = 3
# The key of every HoldFunds; captures and releases are keyed per hold.
HOLD_SCOPE = PostingKind.HOLD.value

T = TypeVar("T")


async def deposit(
    ledger: Ledger, caller: Caller, amount: Money, once: Once | None, *, development: bool
) -> WalletBalance:
    """Tops up the caller's wallet from outside the marketplace, and returns the wallet."""
    deposit_allowed(development=development, is_admin=caller.is_admin)
    legs = deposit_legs(caller.user_id, amount.amount_minor)
    request_id = once.key if once and once.key else uuid.uuid4().hex
    # Users choose their own keys: the scope keeps one user's key from ever meeting another's.
    scope = f"deposit:{caller.user_id}"

    async def attempt() -> WalletBalance:
        planned = ledger.plan(PostingKind.DEPOSIT, scope, request_id, amount.currency, legs, platform_shard(request_id))
        async with ledger.transaction(once) as tx:
            if await tx.lock(planned) is None:
                posting = await tx.insert(planned)
                if not development:
                    # Money from outside the marketplace: an admin's act, audited.
                    after = {
                        "currency": amount.currency,
                        "amount_minor": amount.amount_minor,
                        "posting_id": str(posting.id),
                    }
                    await audit_log.record(tx.connection, "wallet.deposited", "user", caller.user_id, after=after)
            [wallet] = await ledger_reads.wallets(tx.connection, caller.user_id, amount.currency)
            await tx.answer(wallet)
            return wallet

    return await _attempts(ledger, attempt)


async def hold_funds(
    ledger: Ledger, once: Once, user_id: UUID, amount: Money, transaction_id: UUID | None
) -> HoldAndPosting:
    """Buyer's available -> a new hold; INSUFFICIENT_FUNDS when the available balance is short."""
    legs = hold_legs(user_id, amount.amount_minor)
    request_id = once.key

    async def attempt() -> HoldAndPosting:
        planned = ledger.plan(
            PostingKind.HOLD, HOLD_SCOPE, request_id, amount.currency, legs, platform_shard(request_id), transaction_id
        )
        async with ledger.connection() as connection:
            try:
                return await postings.open_hold(connection, planned, once, user_id, amount.amount_minor)
            except asyncpg.CheckViolationError as error:
                # The database refused to take the balance below zero: say what is available.
                if broken_constraint(error) == NEGATIVE_BALANCE:
                    check_funds(legs, await postings.balances(connection, planned))
                raise

    return await _attempts(ledger, attempt)


async def capture_funds(
    ledger: Ledger, once: Once, hold_id: UUID, seller_id: UUID, amount: Money | None, fee: Money | None
) -> HoldAndPosting:
    """The hold (all that is left, or amount) -> the seller's available balance less the fee, and the fee
    to the platform."""

    def legs(hold: Hold, moved: int) -> list[Leg]:
        return capture_legs(hold.user_id, seller_id, moved, check_fee(moved, fee, hold.currency))

    return await _settle(ledger, PostingKind.CAPTURE, once, hold_id, amount, legs)


async def release_funds(ledger: Ledger, once: Once, hold_id: UUID, amount: Money | None) -> HoldAndPosting:
    """The hold (all that is left, or amount) -> back to its owner's available balance."""

    def legs(hold: Hold, moved: int) -> list[Leg]:
        return release_legs(hold.user_id, moved)

    return await _settle(ledger, PostingKind.RELEASE, once, hold_id, amount, legs)


async def _settle(
    ledger: Ledger,
    kind: PostingKind,
    once: Once,
    hold_id: UUID,
    requested: Money | None,
    legs_of: Callable[[Hold, int], list[Leg]],
) -> HoldAndPosting:
    scope = f"{kind.value}:{hold_id}"
    request_id = once.key

    async def attempt() -> HoldAndPosting:
        async with ledger.connection() as connection:
            try:
                hold = await postings.read_hold(connection, hold_id)
                if hold is None:
                    raise HoldNotFound(f"hold {hold_id} does not exist")
                moved, after = settle(hold.amounts, kind, requested, hold.currency)
                legs = legs_of(hold, moved)
            except (NotFound, FailedPrecondition, InvalidArgument):
                # A key that answered before answers the same (the first request may have emptied the hold), and
                # a key used for another request is refused, whatever the hold is now.
                if replayed := await postings.replay(connection, once, scope, request_id):
                    return replayed
                raise
            shard = platform_shard(request_id)
            planned = ledger.plan(kind, scope, request_id, hold.currency, legs, shard, hold.transaction_id)
            return await postings.settle_hold(connection, planned, once, hold, after)

    return await _attempts(ledger, attempt)


async def _attempts(ledger: Ledger, attempt: Callable[[], Awaitable[T]]) -> T:
    """Runs attempt until it goes through, at most MAX_ATTEMPTS times when it conflicts."""
    conflicts = 0
    while conflicts < MAX_ATTEMPTS:
        try:
            return await attempt()
        except HoldChanged:
            # Another posting of the hold went through since it was read: no conflict of ours, and a hold can
            # only be taken from until nothing is left.
            continue
        except AccountsMissing as missing:
            try:
                await ledger.find_accounts(missing)
            except asyncpg.ForeignKeyViolationError as error:
                if broken_constraint(error) != USER_MISSING:
                    raise
                raise UserNotFound("a user this posting names does not exist") from error
        except AccountsChanged:
            ledger.forget()
        except (DuplicatePosting, *RETRYABLE):
            # Another request with the key committed first, or PostgreSQL chose us as a conflict's
            # victim: the next attempt finds the first posting, or goes through.
            pass
        except asyncpg.CheckViolationError as error:
            if broken_constraint(error) != NEGATIVE_BALANCE:
                raise
            raise InsufficientFunds("the balance is too low for this posting") from error
        conflicts += 1
    raise Aborted("the posting kept conflicting with others; try again")


async def get_wallets(ledger: Ledger, caller: Caller) -> list[WalletBalance]:
    async with ledger.connection() as connection:
        return await ledger_reads.wallets(connection, caller.user_id)


async def list_entries(ledger: Ledger, caller: Caller, currency: str, page: Page) -> tuple[list[Entry], str]:
    """The caller's entries (of their available and held accounts), newest first."""
    async with ledger.connection() as connection:
        entries = await ledger_reads.user_entries(
            connection, caller.user_id, currency, page.after_key(datetime, UUID), page.size + 1
        )
    return page_result(entries, page, key=lambda entry: (entry.created_at, entry.id))
