"""The ledger's statements, in bare asyncpg on the service's own connection pool.

Every Hold, Capture and Release runs through here, so these skip the ORM (it measured five
times slower than asyncpg on this path): a posting is BEGIN, one statement that claims the
request's idempotency key and locks its accounts, one that writes the posting with its entries
(and its hold) and stores the response to the key, COMMIT. A capture or a release locks its hold
instead (claiming the key there), which orders every posting of one hold, and its accounts in the
statement that writes it: it reads no balance. The response is made before the write: the
entries' ids are made here and their time is the transaction's, read by the first lock.

The database does the rest: triggers apply each entry to its account's balance and to its hold,
the CHECKs refuse a negative user balance and a capture or release of more than a hold has left,
and a deferred constraint trigger refuses, at commit, a posting whose entries do not sum to zero
(see the migrations "enforce the ledger in the database" and "create holds").

Accounts never change what they are (a trigger refuses it), so their ids are cached here by
(user, kind, currency, shard) and a posting locks them by primary key, in id order, which is
the one order every posting takes its row locks in (after at most one hold): two postings never
wait on each other in a cycle.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accounts.domain.ledger import HoldAmounts, LedgerAccountKind, Leg, PostingKind
from accounts.repository.ledger_reads import (
    ENTRY_COLUMNS,
    HOLD_COLUMNS,
    Entry,
    Hold,
    Posting,
    entry_of,
    hold_of,
    posting_of,
)
from servicekit import idempotency
from servicekit.db import Database, broken_constraint
from servicekit.idempotency import Once

AccountKey = tuple[UUID | None, LedgerAccountKind, str, int]  # owner, kind, currency, shard

DUPLICATE_POSTING = "uq_postings_scope_request_id"
ACCOUNT_MISSING = "fk_ledger_entries_account_id_ledger_accounts"
NEGATIVE_BALANCE = "ck_ledger_accounts_balance_not_negative"
USER_MISSING = "fk_ledger_accounts_user_id_users"
# Worth retrying the whole posting: PostgreSQL gave up one side of a conflict.
RETRYABLE = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)

_RESOLVE = """
SELECT id, user_id, kind::text AS kind, shard
FROM ledger_accounts
WHERE currency = $1
  AND (user_id = ANY($2::uuid[]) OR (user_id IS NULL AND kind = ANY($3::ledger_account_kind[]) AND shard = $4))
"""

_CREATE = """
INSERT INTO ledger_accounts (id, user_id, kind, currency, shard)
SELECT gen_random_uuid(), owner, kind, $1, shard
FROM unnest($2::uuid[], $3::ledger_account_kind[], $4::int2[]) AS wanted(owner, kind, shard)
ON CONFLICT DO NOTHING
"""

# The subquery sees postings committed before this statement began: a duplicate committed while
# we waited for the locks is not seen here, and is caught by the unique key when we insert.
_LOCK = """
SELECT id, balance_minor, now() AS now,
       (SELECT p.id FROM postings p WHERE p.scope = $2 AND p.request_id = $3) AS existing
FROM ledger_accounts
WHERE id = ANY($1::uuid[])
ORDER BY id
FOR NO KEY UPDATE
"""

# As above, a posting of the key committed while we waited for the hold is not seen here, and the
# unique key refuses ours.
_LOCK_HOLD = f"""
SELECT {HOLD_COLUMNS}, now() AS now,
       (SELECT p.id FROM postings p WHERE p.scope = $2 AND p.request_id = $3) AS existing
FROM holds
WHERE id = $1
FOR NO KEY UPDATE
"""


def _posting_with_entries(first: str = "") -> str:
    """The CTE that writes the posting, then the statement that writes its entries; the posting's row is selected
    FROM `first` when given: what the statement does before it."""
    return f"""
posting AS (
    INSERT INTO postings (id, kind, scope, request_id, transaction_id, currency, hold_id)
    SELECT $1, $2::posting_kind, $3, $4, $5, $6, $10 {f"FROM {first}" if first else ""}
    RETURNING id, currency
)
INSERT INTO ledger_entries (id, posting_id, account_id, currency, amount_minor)
SELECT line.id, posting.id, line.account_id, posting.currency, line.amount_minor
FROM posting, unnest($7::uuid[], $8::int8[], $9::uuid[]) AS line(account_id, amount_minor, id)
"""


# A deposit names no hold ($10 is NULL), and answers with the wallet it reads after.
_INSERT = f"WITH {_posting_with_entries()}"

# A capture or a release names the hold it takes from, which the database applies it to. It locks its
# accounts in id order before the posting is written (the posting's row reads their count), and so before
# the triggers at the statement's end change their balances.
_INSERT_SETTLING = f"""
WITH {idempotency.answering(11)},
locked AS (SELECT id FROM ledger_accounts WHERE id = ANY($7::uuid[]) ORDER BY id FOR NO KEY UPDATE),
{_posting_with_entries("(SELECT count(*) FROM locked) AS accounts")}
"""

# A hold posting makes its hold ($10, owned by $14) in the same statement, empty: the database fills
# it from the posting's entries.
_INSERT_OPENING_HOLD = f"""
WITH {idempotency.answering(11)},
hold AS (
    INSERT INTO holds (id, user_id, currency, request_id, transaction_id) VALUES ($10, $14, $6, $4, $5)
),
{_posting_with_entries()}
"""

# An entry has its posting's time: matching it too reads one partition of the entries.
_POSTING = f"""
SELECT {ENTRY_COLUMNS}
FROM postings p
JOIN ledger_entries e ON e.posting_id = p.id AND e.created_at = p.created_at
JOIN ledger_accounts a ON a.id = e.account_id
WHERE p.scope = $1 AND p.request_id = $2
"""

_HOLD = f"SELECT {HOLD_COLUMNS} FROM holds WHERE id = $1"

_CLAIMING = {query: idempotency.claiming(query, 4) for query in (_LOCK, _LOCK_HOLD)}


class DuplicatePosting(Exception):
    """Another request with the same key committed first; a new attempt finds its posting."""


@dataclass
class AccountsMissing(Exception):
    """A posting needs accounts whose ids are not cached: they are looked up, or made, outside its transaction."""

    currency: str
    legs: list[Leg]
    shard: int


class AccountsChanged(Exception):
    """A lock or a write found fewer accounts than the cache promised."""


@dataclass(frozen=True)
class PlannedPosting:
    """A posting about to be written: its key, and each leg with the id of the account it moves."""

    kind: PostingKind
    scope: str
    request_id: str
    transaction_id: UUID | None
    currency: str
    lines: list[tuple[UUID, Leg]]

    @property
    def account_ids(self) -> list[UUID]:
        return sorted({account_id for account_id, _ in self.lines})


class LedgerTransaction:
    """The statements of one posting, on a connection inside a transaction. With the request's key, the first
    lock claims it and the write that makes the response stores it (servicekit.idempotency); a lock comes
    before every write."""

    def __init__(self, connection: asyncpg.Connection, once: Once | None = None) -> None:
        self._connection = connection
        self._once = once if once is not None and once.key else None
        self._unclaimed = self._once is not None
        self._answered = False
        self._now: datetime | None = None

    @property
    def connection(self) -> asyncpg.Connection:
        return self._connection

    async def lock(self, planned: PlannedPosting) -> tuple[dict[UUID, int], UUID | None]:
        """Locks the accounts in id order; their balances, and the posting already made with the key, if seen."""
        rows = await self._locked(_LOCK, planned.account_ids, planned.scope, planned.request_id)
        if len(rows) < len(planned.account_ids):
            raise AccountsChanged()
        self._now = rows[0]["now"]
        return {row["id"]: row["balance_minor"] for row in rows}, rows[0]["existing"]

    async def lock_hold(self, hold_id: UUID, scope: str, request_id: str) -> tuple[Hold | None, UUID | None]:
        """Locks the hold; it, and the posting already made with the key, if seen."""
        rows = await self._locked(_LOCK_HOLD, hold_id, scope, request_id)
        if not rows:
            return None, None
        self._now = rows[0]["now"]
        return hold_of(rows[0]), rows[0]["existing"]

    async def _locked(self, query: str, *parameters: Any) -> list[asyncpg.Record]:
        """The rows of a locking query; the transaction's first claims the key too (Replayed when it was taken)."""
        if self._once is None or not self._unclaimed:
            return await self._connection.fetch(query, *parameters)
        rows = await self._connection.fetch(_CLAIMING[query], *parameters, *idempotency.claim_parameters(self._once))
        self._unclaimed = False
        if not rows[0]["claimed"]:
            await idempotency.refuse(self._connection, self._once)
        return [row for row in rows if row["id"] is not None]

    async def posting(self, scope: str, request_id: str) -> Posting | None:
        return posting_of(entry_of(row) for row in await self._connection.fetch(_POSTING, scope, request_id))

    async def hold(self, hold_id: UUID) -> Hold | None:
        row = await self._connection.fetchrow(_HOLD, hold_id)
        return hold_of(row) if row else None

    async def insert(self, planned: PlannedPosting) -> Posting:
        """Writes a posting that names no hold: a deposit."""
        entry_ids, posting = self._posting(planned, None)
        await self._write(_INSERT, planned, entry_ids, posting)
        return posting

    async def open_hold(self, planned: PlannedPosting, user_id: UUID, amount_minor: int) -> tuple[Hold, Posting]:
        """Writes a hold posting and the hold it fills, and the response to the key."""
        entry_ids, posting = self._posting(planned, uuid.uuid4())
        hold = Hold(
            id=posting.hold_id,
            user_id=user_id,
            currency=planned.currency,
            amount_minor=amount_minor,
            amounts=HoldAmounts(remaining_minor=amount_minor),
            request_id=planned.request_id,
            transaction_id=planned.transaction_id,
            created_at=posting.created_at,
            updated_at=posting.created_at,
        )
        result = hold, posting
        await self._write(_INSERT_OPENING_HOLD, planned, entry_ids, posting, *self._answer(result), user_id)
        return result

    async def settle_hold(self, planned: PlannedPosting, hold: Hold, after: HoldAmounts) -> tuple[Hold, Posting]:
        """Locks the accounts and writes a capture or a release of the (locked) hold, which leaves it holding
        `after`, and the response to the key."""
        entry_ids, posting = self._posting(planned, hold.id)
        result = replace(hold, amounts=after, updated_at=posting.created_at), posting
        await self._write(_INSERT_SETTLING, planned, entry_ids, posting, *self._answer(result))
        return result

    async def answer(self, result: Any) -> None:
        """Stores the response to result, unless the write that made it did."""
        if not self._answered:
            await idempotency.complete(self._connection, self._once, result)

    def _answer(self, result: Any) -> tuple[bytes, str, str]:
        if self._once is None:
            raise RuntimeError("a hold, a capture or a release is keyed: its transaction needs the request's key")
        self._answered = True
        return idempotency.answer_parameters(self._once, result)

    def _posting(self, planned: PlannedPosting, hold_id: UUID | None) -> tuple[list[UUID], Posting]:
        """The posting about to be written, with the ids of its entries in the order of its lines."""
        posting_id = uuid.uuid4()
        entry_ids = [uuid.uuid4() for _ in planned.lines]
        posting = posting_of(
            Entry(
                id=entry_id,
                posting_id=posting_id,
                account=leg.account,
                user_id=leg.user_id,
                currency=planned.currency,
                amount_minor=leg.amount_minor,
                kind=planned.kind,
                request_id=planned.request_id,
                transaction_id=planned.transaction_id,
                hold_id=hold_id,
                created_at=self._now,
            )
            for entry_id, (_, leg) in zip(entry_ids, planned.lines, strict=True)
        )
        return entry_ids, posting

    async def _write(
        self, statement: str, planned: PlannedPosting, entry_ids: list[UUID], posting: Posting, *extra: Any
    ) -> None:
        try:
            await self._connection.execute(
                statement,
                posting.id,
                planned.kind.value,
                planned.scope,
                planned.request_id,
                planned.transaction_id,
                planned.currency,
                [account_id for account_id, _ in planned.lines],
                [leg.amount_minor for _, leg in planned.lines],
                entry_ids,
                posting.hold_id,
                *extra,
            )
        except asyncpg.UniqueViolationError as error:
            if broken_constraint(error) == DUPLICATE_POSTING:
                raise DuplicatePosting() from error
            raise
        except asyncpg.ForeignKeyViolationError as error:
            if broken_constraint(error) == ACCOUNT_MISSING:
                raise AccountsChanged() from error
            raise


class Ledger:
    """The ledger of one accounts database, with the ids of the accounts it has seen."""

    MAX_CACHED_ACCOUNTS = 200_000

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ids: dict[AccountKey, UUID] = {}

    def connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A raw asyncpg connection from the service's pool, outside any transaction."""
        return self._db.connection()

    @asynccontextmanager
    async def transaction(self, once: Once | None = None) -> AsyncIterator[LedgerTransaction]:
        """One transaction, keyed by once; its end is the commit, where the deferred checks run."""
        async with self._db.connection() as connection, connection.transaction():
            yield LedgerTransaction(connection, once)

    def plan(
        self,
        kind: PostingKind,
        scope: str,
        request_id: str,
        currency: str,
        legs: list[Leg],
        shard: int,
        transaction_id: UUID | None = None,
    ) -> PlannedPosting:
        """The posting of the legs on the cached accounts; AccountsMissing when some are not cached."""
        keys = [account_key(leg, currency, shard) for leg in legs]
        if not all(key in self._ids for key in keys):
            raise AccountsMissing(currency, legs, shard)
        lines = [(self._ids[key], leg) for key, leg in zip(keys, legs, strict=True)]
        return PlannedPosting(kind, scope, request_id, transaction_id, currency, lines)

    async def find_accounts(self, missing: AccountsMissing) -> None:
        """Caches the ids of the accounts the legs touch, creating those that do not exist yet (committed
        apart, so that a posting only ever waits for row locks, in id order)."""
        wanted = {account_key(leg, missing.currency, missing.shard) for leg in missing.legs}
        if not await self._resolve(missing.currency, wanted, missing.shard, create=False):
            await self._resolve(missing.currency, wanted, missing.shard, create=True)

    async def _resolve(self, currency: str, wanted: set[AccountKey], shard: int, *, create: bool) -> bool:
        users = sorted({key[0] for key in wanted if key[0] is not None})
        platform = sorted({key[1].value for key in wanted if key[0] is None})
        async with self.connection() as connection:
            if create:
                # A user's wallet is both their accounts in the currency, made together.
                owners = [user for user in users for _ in (0, 1)]
                kinds = [kind.value for _ in users for kind in (LedgerAccountKind.AVAILABLE, LedgerAccountKind.HELD)]
                shards = [0] * len(owners)
                owners += [None] * len(platform)
                kinds += platform
                shards += [shard] * len(platform)
                await connection.execute(_CREATE, currency, owners, kinds, shards)
            rows = await connection.fetch(_RESOLVE, currency, users, platform, shard)
        if len(self._ids) > self.MAX_CACHED_ACCOUNTS:
            self._ids.clear()
        for row in rows:
            self._ids[(row["user_id"], LedgerAccountKind(row["kind"]), currency, row["shard"])] = row["id"]
        return all(key in self._ids for key in wanted)

    def forget(self) -> None:
        """Drops the cached ids (after a lock found fewer accounts than it asked for)."""
        self._ids.clear()


def account_key(leg: Leg, currency: str, shard: int) -> AccountKey:
    return (leg.user_id, leg.account, currency, 0 if leg.user_id is not None else shard)
