"""The ledger's statements, in bare asyncpg on the service's own connection pool.

Every Hold, Capture and Release runs through here, so these skip the ORM (it measured five
times slower than asyncpg on this path), and each is one statement outside a transaction,
its response made before it, with the time the service gives the posting:

- a hold claims the request's idempotency key with that response (unless a posting already has
  the key), locks its accounts and writes the hold, the posting and its entries;
- a capture or a release reads its hold first, for what is left of it; then its statement locks
  the hold only if that is still what is left (else it reads again: another posting of the hold
  went through), claims the key, locks its accounts and writes the posting and its entries.

A deposit, rare, is BEGIN, one statement that claims the key and locks its accounts, one that
writes the posting, the audit record and the response, COMMIT.

The database does the rest: triggers apply each entry to its account's balance and to its hold,
the CHECKs refuse a negative user balance (a hold of more than is available) and a capture or
release of more than a hold has left, and a deferred constraint trigger refuses, at commit, a
posting whose entries do not sum to zero (see the migrations "enforce the ledger in the database"
and "create holds").

Accounts never change what they are (a trigger refuses it), so their ids are cached here by
(user, kind, currency, shard) and a posting locks them by primary key, in id order, which is
the one order every posting takes its row locks in (after at most one hold, and the key): two
postings never wait on each other in a cycle. A request that waits for a key holds no account.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
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
SELECT id, now() AS now,
       (SELECT p.id FROM postings p WHERE p.scope = $2 AND p.request_id = $3) AS existing
FROM ledger_accounts
WHERE id = ANY($1::uuid[])
ORDER BY id
FOR NO KEY UPDATE
"""

_BALANCES = "SELECT id, balance_minor FROM ledger_accounts WHERE id = ANY($1::uuid[])"


def _posting_with_entries(when: str = "") -> str:
    """The CTEs that write the posting (of the hold $10, at $11), only `when` (a WHERE) holds, and its entries."""
    return f"""
posting AS (
    INSERT INTO postings (id, kind, scope, request_id, transaction_id, currency, hold_id, created_at)
    SELECT $1, $2::posting_kind, $3, $4, $5, $6, $10, $11 {when}
    RETURNING id, currency, created_at
),
entries AS (
    INSERT INTO ledger_entries (id, posting_id, account_id, currency, amount_minor, created_at)
    SELECT line.id, posting.id, line.account_id, posting.currency, line.amount_minor, posting.created_at
    FROM posting, unnest($7::uuid[], $8::int8[], $9::uuid[]) AS line(account_id, amount_minor, id)
)"""


# A deposit names no hold ($10 is NULL); it is written at the time of its transaction, read by its lock.
_INSERT = f"WITH {_posting_with_entries()} SELECT count(*) FROM posting"


# Counting reads every row of `locked`, and so takes every lock (EXISTS would stop at the first, and leave the
# triggers to lock the others in their own order).
_ONCE_LOCKED = "WHERE (SELECT count(*) FROM locked) > 0"


def _claimed_posting(claim_from: str = "") -> str:
    """The CTEs of a posting in one statement: the key claimed with its response (parameters $12 to $15), FROM
    `claim_from` when given, unless a posting has the key (`existing`); its accounts locked after the claim
    (they join it), and the posting and its entries written once they are."""
    unposted = "NOT EXISTS (SELECT FROM existing)"
    return f"""
existing AS (SELECT id FROM postings WHERE scope = $3 AND request_id = $4),
{idempotency.claiming_answered(12, f"{claim_from} WHERE {unposted}")},
locked AS (
    SELECT a.id FROM claim, ledger_accounts a WHERE a.id = ANY($7::uuid[]) ORDER BY a.id FOR NO KEY UPDATE OF a
),
{_posting_with_entries(_ONCE_LOCKED)}"""


_CLAIMED = "(SELECT count(*) FROM claim) AS claimed, (SELECT id FROM existing) AS existing"

# A hold posting makes its hold ($10, owned by $16) in the same statement, empty: the database fills it
# from the posting's entries.
_OPEN_HOLD = f"""
WITH {_claimed_posting()},
hold AS (
    INSERT INTO holds (id, user_id, currency, request_id, transaction_id, created_at, updated_at)
    SELECT $10, $16, $6, $4, $5, $11, $11 {_ONCE_LOCKED}
)
SELECT {_CLAIMED}
"""

# A capture or a release goes on only while its hold has $16 left, what it read: every posting of a hold
# takes from what is left, so that is the hold as read. Its lock comes before the key's: a request that waits
# for the hold holds nothing else, and one that holds the key waits only for accounts.
_SETTLE_HOLD = f"""
WITH current AS (SELECT id FROM holds WHERE id = $10 AND remaining_minor = $16 FOR NO KEY UPDATE),
{_claimed_posting("FROM current")}
SELECT (SELECT count(*) FROM current) AS current, {_CLAIMED}
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

_CLAIMING_LOCK = idempotency.claiming(_LOCK, 4)


class DuplicatePosting(Exception):
    """Another request with the same key committed first; a new attempt finds its posting."""


class HoldChanged(Exception):
    """A capture or a release found its hold with less left than it read: another posting of the hold went through."""


@dataclass
class AccountsMissing(Exception):
    """A posting needs accounts whose ids are not cached: they are looked up, or made, outside its transaction."""

    currency: str
    legs: list[Leg]
    shard: int


class AccountsChanged(Exception):
    """A lock or a write found fewer accounts than the cache promised."""


HoldAndPosting = tuple[Hold, Posting]


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

    def written(self, hold_id: UUID | None, at: datetime) -> tuple[list[UUID], Posting]:
        """The posting as it will be written, with the ids of its entries in the order of its lines."""
        posting_id = uuid.uuid4()
        entry_ids = [uuid.uuid4() for _ in self.lines]
        posting = posting_of(
            Entry(
                id=entry_id,
                posting_id=posting_id,
                account=leg.account,
                user_id=leg.user_id,
                currency=self.currency,
                amount_minor=leg.amount_minor,
                kind=self.kind,
                request_id=self.request_id,
                transaction_id=self.transaction_id,
                hold_id=hold_id,
                created_at=at,
            )
            for entry_id, (_, leg) in zip(entry_ids, self.lines, strict=True)
        )
        return entry_ids, posting


class LedgerTransaction:
    """The statements of a deposit, on a connection inside a transaction. With the request's key, the lock claims
    it (servicekit.idempotency); the lock comes before the write."""

    def __init__(self, connection: asyncpg.Connection, once: Once | None = None) -> None:
        self._connection = connection
        self._once = once if once is not None and once.key else None
        self._now: datetime | None = None

    @property
    def connection(self) -> asyncpg.Connection:
        return self._connection

    async def lock(self, planned: PlannedPosting) -> UUID | None:
        """Locks the accounts in id order, claiming the key (Replayed when it was taken); the posting already made
        with the key, if seen."""
        parameters = (planned.account_ids, planned.scope, planned.request_id)
        if self._once is None:
            rows = await self._connection.fetch(_LOCK, *parameters)
        else:
            rows = await self._connection.fetch(_CLAIMING_LOCK, *parameters, *idempotency.claim_parameters(self._once))
            if not rows[0]["claimed"]:
                await idempotency.refuse(self._connection, self._once)
            rows = [row for row in rows if row["id"] is not None]
        if len(rows) < len(planned.account_ids):
            raise AccountsChanged()
        self._now = rows[0]["now"]
        return rows[0]["existing"]

    async def insert(self, planned: PlannedPosting) -> Posting:
        """Writes a posting that names no hold, at the transaction's time."""
        entry_ids, posting = planned.written(None, self._now)
        await _write(self._connection, _INSERT, planned, entry_ids, posting)
        return posting

    async def answer(self, result: Any) -> None:
        """Stores the response to result under the key."""
        await idempotency.complete(self._connection, self._once, result)


async def _write(
    connection: asyncpg.Connection,
    statement: str,
    planned: PlannedPosting,
    entry_ids: list[UUID],
    posting: Posting,
    *extra: Any,
) -> asyncpg.Record:
    try:
        return await connection.fetchrow(
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
            posting.created_at,
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


async def replay(connection: asyncpg.Connection, once: Once, scope: str, request_id: str) -> HoldAndPosting | None:
    """What the key answered: its stored response (raised as Replayed, or IdempotencyKeyReused for another
    request); once the kit's key is pruned, the posting it made with its hold as it is now; None when neither."""
    await idempotency.replay(connection, once)
    posting = posting_of(entry_of(row) for row in await connection.fetch(_POSTING, scope, request_id))
    if posting is None:
        return None
    return hold_of(await connection.fetchrow(_HOLD, posting.hold_id)), posting


async def open_hold(
    connection: asyncpg.Connection, planned: PlannedPosting, once: Once, user_id: UUID, amount_minor: int
) -> HoldAndPosting:
    """Writes a hold posting and the hold it fills, with the response to the key; or what the key answered."""
    now = datetime.now(UTC)
    entry_ids, posting = planned.written(uuid.uuid4(), now)
    hold = Hold(
        id=posting.hold_id,
        user_id=user_id,
        currency=planned.currency,
        amount_minor=amount_minor,
        amounts=HoldAmounts(remaining_minor=amount_minor),
        request_id=planned.request_id,
        transaction_id=planned.transaction_id,
        created_at=now,
        updated_at=now,
    )
    return await _posted(connection, _OPEN_HOLD, planned, once, entry_ids, (hold, posting), user_id)


async def settle_hold(
    connection: asyncpg.Connection, planned: PlannedPosting, once: Once, hold: Hold, after: HoldAmounts
) -> HoldAndPosting:
    """Writes a capture or a release of the hold as read, which leaves it holding `after`, with the response to the
    key; or what the key answered. HoldChanged when the hold has less left than it had."""
    now = datetime.now(UTC)
    entry_ids, posting = planned.written(hold.id, now)
    result = replace(hold, amounts=after, updated_at=now), posting
    return await _posted(connection, _SETTLE_HOLD, planned, once, entry_ids, result, hold.amounts.remaining_minor)


async def _posted(
    connection: asyncpg.Connection,
    statement: str,
    planned: PlannedPosting,
    once: Once,
    entry_ids: list[UUID],
    result: HoldAndPosting,
    *extra: Any,
) -> HoldAndPosting:
    claim = idempotency.answered_claim_parameters(once, result)
    row = await _write(connection, statement, planned, entry_ids, result[1], *claim, *extra)
    if row.get("current") == 0:  # a capture or a release whose hold had less left than it read
        raise HoldChanged()
    if row["claimed"]:
        return result
    replayed = await replay(connection, once, planned.scope, planned.request_id)
    if replayed is None:
        raise DuplicatePosting()  # the key's row went between the statements: try again
    return replayed


async def read_hold(connection: asyncpg.Connection, hold_id: UUID) -> Hold | None:
    row = await connection.fetchrow(_HOLD, hold_id)
    return hold_of(row) if row else None


async def balances(
    connection: asyncpg.Connection, planned: PlannedPosting
) -> dict[tuple[LedgerAccountKind, UUID | None], int]:
    """The balances of the planned posting's accounts, by kind and owner."""
    by_id = {row["id"]: row["balance_minor"] for row in await connection.fetch(_BALANCES, planned.account_ids)}
    return {(leg.account, leg.user_id): by_id[account_id] for account_id, leg in planned.lines}


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
