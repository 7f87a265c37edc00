"""The ledger's read models and the queries that only read: wallets, entries, the invariants.

Connection first (a raw asyncpg connection of `Ledger.connection()`), like the hot path they serve.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accounts.domain.ledger import HoldAmounts, HoldStatus, LedgerAccountKind, PostingKind

ENTRY_COLUMNS = """
    e.id, e.posting_id, a.kind::text AS account, a.user_id, e.currency, e.amount_minor,
    p.kind::text AS kind, p.request_id, p.transaction_id, p.hold_id, e.created_at
"""

HOLD_COLUMNS = """
    id, user_id, currency, amount_minor, remaining_minor, captured_minor, released_minor,
    request_id, transaction_id, created_at, updated_at
"""

_USER_ENTRIES = f"""
SELECT {ENTRY_COLUMNS}
FROM ledger_accounts a
JOIN ledger_entries e ON e.account_id = a.id
JOIN postings p ON p.id = e.posting_id
WHERE a.user_id = $1
  AND ($2::text = '' OR a.currency = $2)
  AND ($3::timestamptz IS NULL OR (e.created_at, e.id) < ($3, $4::uuid))
ORDER BY e.created_at DESC, e.id DESC
LIMIT $5
"""

_WALLETS = """
SELECT currency, kind::text AS kind, balance_minor, updated_at
FROM ledger_accounts
WHERE user_id = $1 AND ($2::text = '' OR currency = $2)
ORDER BY currency, kind
"""

# The invariants, each a query that returns the rows breaking it.
INVARIANTS = {
    "entries of a currency do not sum to zero": """
        SELECT currency, sum(amount_minor) FROM ledger_entries GROUP BY currency HAVING sum(amount_minor) <> 0
    """,
    "a posting does not balance": """
        SELECT posting_id, sum(amount_minor) FROM ledger_entries GROUP BY posting_id HAVING sum(amount_minor) <> 0
    """,
    "a balance is not the sum of its entries": """
        SELECT a.id, a.balance_minor, coalesce(e.total, 0)
        FROM ledger_accounts a
        LEFT JOIN (SELECT account_id, sum(amount_minor) AS total FROM ledger_entries GROUP BY account_id) e
          ON e.account_id = a.id
        WHERE a.balance_minor <> coalesce(e.total, 0)
    """,
    "a balance is negative": """
        SELECT id, kind, balance_minor FROM ledger_accounts WHERE kind <> 'external' AND balance_minor < 0
    """,
    "a held balance is not what the owner's holds have left": """
        SELECT a.id, a.balance_minor, coalesce(h.remaining, 0)
        FROM ledger_accounts a
        LEFT JOIN (SELECT user_id, currency, sum(remaining_minor) AS remaining FROM holds GROUP BY user_id, currency) h
          ON h.user_id = a.user_id AND h.currency = a.currency
        WHERE a.kind = 'held' AND a.balance_minor <> coalesce(h.remaining, 0)
    """,
}


@dataclass(frozen=True)
class Entry:
    """A written ledger entry, with what its posting says about it."""

    id: UUID
    posting_id: UUID
    account: LedgerAccountKind
    user_id: UUID | None
    currency: str
    amount_minor: int
    kind: PostingKind
    request_id: str
    transaction_id: UUID | None
    hold_id: UUID | None
    created_at: datetime


@dataclass(frozen=True)
class Posting:
    """A balanced group of entries: one movement of money."""

    id: UUID
    kind: PostingKind
    request_id: str
    transaction_id: UUID | None
    hold_id: UUID | None
    currency: str
    created_at: datetime
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Hold:
    """A buyer's money in escrow for one purpose, and what is left of it."""

    id: UUID
    user_id: UUID
    currency: str
    amount_minor: int
    amounts: HoldAmounts
    request_id: str
    transaction_id: UUID | None
    created_at: datetime
    updated_at: datetime

    @property
    def status(self) -> HoldStatus:
        return self.amounts.status


@dataclass(frozen=True)
class WalletBalance:
    """A user's two accounts in one currency."""

    user_id: UUID
    currency: str
    available_minor: int
    held_minor: int
    updated_at: datetime


def entry_of(row: asyncpg.Record) -> Entry:
    return Entry(
        id=row["id"],
        posting_id=row["posting_id"],
        account=LedgerAccountKind(row["account"]),
        user_id=row["user_id"],
        currency=row["currency"],
        amount_minor=row["amount_minor"],
        kind=PostingKind(row["kind"]),
        request_id=row["request_id"],
        transaction_id=row["transaction_id"],
        hold_id=row["hold_id"],
        created_at=row["created_at"],
    )


def entry_order(entry: Entry) -> tuple:
    """The order entries are shown in: money leaving first, then by account."""
    return (entry.amount_minor, list(LedgerAccountKind).index(entry.account))


def posting_of(entries: Iterable[Entry]) -> Posting | None:
    ordered = sorted(entries, key=entry_order)
    if not ordered:
        return None
    first = ordered[0]
    return Posting(
        id=first.posting_id,
        kind=first.kind,
        request_id=first.request_id,
        transaction_id=first.transaction_id,
        hold_id=first.hold_id,
        currency=first.currency,
        created_at=first.created_at,
        entries=tuple(ordered),
    )


def hold_of(row: asyncpg.Record) -> Hold:
    return Hold(
        id=row["id"],
        user_id=row["user_id"],
        currency=row["currency"],
        amount_minor=row["amount_minor"],
        amounts=HoldAmounts(row["remaining_minor"], row["captured_minor"], row["released_minor"]),
        request_id=row["request_id"],
        transaction_id=row["transaction_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def wallets(connection: asyncpg.Connection, user_id: UUID, currency: str = "") -> list[WalletBalance]:
    rows = await connection.fetch(_WALLETS, user_id, currency)
    by_currency: dict[str, dict[str, Any]] = {}
    for row in rows:
        wallet = by_currency.setdefault(row["currency"], {"updated_at": row["updated_at"]})
        wallet[row["kind"]] = row["balance_minor"]
        wallet["updated_at"] = max(wallet["updated_at"], row["updated_at"])
    return [
        WalletBalance(
            user_id=user_id,
            currency=currency,
            available_minor=values.get(LedgerAccountKind.AVAILABLE.value, 0),
            held_minor=values.get(LedgerAccountKind.HELD.value, 0),
            updated_at=values["updated_at"],
        )
        for currency, values in by_currency.items()
    ]


async def user_entries(
    connection: asyncpg.Connection, user_id: UUID, currency: str, after: tuple[datetime, UUID] | None, limit: int
) -> list[Entry]:
    created_at, entry_id = after or (None, None)
    rows = await connection.fetch(_USER_ENTRIES, user_id, currency, created_at, entry_id, limit)
    return [entry_of(row) for row in rows]


async def invariant_violations(connection: asyncpg.Connection) -> dict[str, list]:
    """What breaks the ledger's invariants, by invariant; empty when the ledger is sound."""
    found = {}
    for name, query in INVARIANTS.items():
        rows = await connection.fetch(query)
        if rows:
            found[name] = [tuple(row) for row in rows]
    return found
