"""The ceiling of the purchase benchmark: the saga's statements in bare SQL on asyncpg, no service.

One purchase is the saga's six database transactions, in its order, each a round trip per
statement on a connection of its own database (one connection per client and database):

    trading   claim the key; reserve the listing (lock and move); insert the transaction; its events; store the answer
    accounts  one statement: claim the key with the answer, lock the buyer's accounts, write the hold and its posting
    trading   lock the listing; mark the transaction paid; its event
    catalog   claim the key; give the item to the buyer; its event; store the answer
    accounts  read the hold; one statement: lock it, claim the key with the answer, lock the accounts, write the capture
    trading   sell the listing; complete the transaction; expire its pending offers; the events

The ledger's part is accounts' own code on a bare connection (repository.ledger's statements and
account cache, domain.ledger's legs), so it pays for the same triggers and checks. The events and
the stored answers are those a purchase made through the gateway wrote (the sample), with this
purchase's ids in place of the sample's: the same types and sizes of rows.

What this leaves out is what the services add: the pool's pre-ping, the ORM, reading the listing's
counts for its event, building the protos, gRPC between the processes, HTTP and JSON.
"""

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

import asyncpg
from google.protobuf.message import Message

from accounts.domain.ledger import (
    PLATFORM_SHARDS,
    LedgerAccountKind,
    Leg,
    PostingKind,
    capture_legs,
    hold_legs,
    platform_shard,
    settle,
)
from accounts.repository import ledger as postings
from accounts.repository.ledger import AccountsMissing, Ledger
from accounts.service.ledger import HOLD_SCOPE
from devstack.bench.load import Failed, Result, measure
from marketplace.accounts.v1 import accounts_service_pb2 as accounts_pb
from servicekit.idempotency import Once
from servicekit.money import Money
from trading.domain.transactions import platform_fee

CLAIM = (
    "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key"
)
ANSWER = "UPDATE idempotency_keys SET response = $3 WHERE scope = $1 AND key = $2"
EVENTS = (
    "INSERT INTO outbox_events (event_type, subject_id, payload_type, payload)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])"
)
RESERVE = (
    "UPDATE listings SET status = 'reserved', updated_at = now() WHERE id = $1 AND status = 'active'"
    " RETURNING seller_id, item_id, price_minor, currency"
)
START = """
INSERT INTO transactions (id, listing_id, item_id, buyer_id, seller_id, status, amount_minor, currency,
                          platform_fee_minor, platform_fee_bps)
VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9)
"""
LOCK_LISTING = "SELECT status FROM listings WHERE id = $1 FOR NO KEY UPDATE"
PAY = """
UPDATE transactions SET status = 'paid', hold_id = $2, hold_posting_id = $3, paid_at = now(), updated_at = now()
WHERE id = $1 AND status = 'pending'
"""
TRANSFER = "UPDATE items SET owner_id = $3, updated_at = now() WHERE id = $1 AND owner_id = $2 RETURNING id"
SELL = "UPDATE listings SET status = 'sold', updated_at = now() WHERE id = $1 AND status = 'reserved'"
COMPLETE = """
UPDATE transactions
SET status = 'completed', item_transferred_at = now(), closed_at = now(), settled_at = now(),
    settle_posting_id = $2, updated_at = now()
WHERE id = $1 AND status = 'paid'
"""
EXPIRE_OFFERS = "UPDATE offers SET status = 'expired', updated_at = now() WHERE listing_id = $1 AND status = 'pending'"


@dataclass(frozen=True)
class Key:
    """An idempotency key row as the sample's: scope, request hash and stored answer."""

    scope: str
    request_hash: str
    response: bytes

    def once(self, request_id: str, response: type[Message]) -> Once:
        """The key as accounts' ledger claims it, answered with the sample's response."""
        return Once(request_id, self.scope, self.request_hash, lambda _: response.FromString(self.response))


@dataclass(frozen=True)
class Event:
    event_type: str
    subject_id: str
    payload_type: str
    payload: str  # JSON


@dataclass(frozen=True, eq=False)
class Sample:
    """What one purchase through the gateway wrote, to be written again with other ids.

    `ids` are the sample's ids by name (transaction, listing, item, buyer, seller, hold, hold_posting,
    settle_posting); the events are grouped by the trading transaction that wrote them (reserve, pay,
    complete) and catalog's transfer; the keys are those of the four keyed calls."""

    ids: dict[str, str]
    fee_bps: int
    trading_events: tuple[list[Event], list[Event], list[Event]]
    transfer_events: list[Event]
    buy_key: Key
    hold_key: Key
    transfer_key: Key
    capture_key: Key

    @cached_property
    def _pattern(self) -> re.Pattern:
        return re.compile("|".join(map(re.escape, self.ids.values())))

    def rewrite(self, text: str, ids: dict[str, str]) -> str:
        """The text with the ids given (by name) where the sample's stand; the others as they are."""
        new = {self.ids[name]: value for name, value in ids.items()}
        return self._pattern.sub(lambda match: new.get(match.group(), match.group()), text)

    def events(self, events: list[Event], ids: dict[str, str]) -> list[list[str]]:
        """The events as the columns of EVENTS, with these ids."""
        return [
            [event.event_type for event in events],
            [self.rewrite(event.subject_id, ids) for event in events],
            [event.payload_type for event in events],
            [self.rewrite(event.payload, ids) for event in events],
        ]


@dataclass(frozen=True)
class Connections:
    trading: asyncpg.Connection
    accounts: asyncpg.Connection
    catalog: asyncpg.Connection


async def _claim(connection: asyncpg.Connection, key: Key, scope: str, request_id: str) -> None:
    if await connection.fetchval(CLAIM, scope, request_id, key.request_hash) is None:
        raise Failed("idempotency key taken")


async def purchase(connections: Connections, ledger: Ledger, sample: Sample, listing_id: UUID, buyer_id: UUID) -> None:
    """One purchase of the listing by the buyer, as the saga's statements."""
    transaction_id, request_id = uuid.uuid4(), uuid.uuid4().hex
    ids = {"transaction": str(transaction_id), "listing": str(listing_id), "buyer": str(buyer_id)}
    trading, accounts, catalog = connections.trading, connections.accounts, connections.catalog

    buy_scope = sample.rewrite(sample.buy_key.scope, ids)
    async with trading.transaction():
        await _claim(trading, sample.buy_key, buy_scope, request_id)
        listing = await trading.fetchrow(RESERVE, listing_id)
        if listing is None:
            raise Failed("listing not active")
        seller_id, item_id = listing["seller_id"], listing["item_id"]
        amount = Money(listing["currency"], listing["price_minor"])
        fee = platform_fee(amount, sample.fee_bps)
        ids |= {"seller": str(seller_id), "item": str(item_id)}
        await trading.execute(
            START,
            transaction_id,
            listing_id,
            item_id,
            buyer_id,
            seller_id,
            amount.amount_minor,
            amount.currency,
            fee.amount_minor,
            sample.fee_bps,
        )
        await trading.execute(EVENTS, *sample.events(sample.trading_events[0], ids))
        await trading.execute(ANSWER, buy_scope, request_id, sample.buy_key.response)

    key = sample.hold_key
    hold_request = f"{transaction_id}:hold"
    legs = hold_legs(buyer_id, amount.amount_minor)
    shard = platform_shard(hold_request)
    planned = ledger.plan(PostingKind.HOLD, HOLD_SCOPE, hold_request, amount.currency, legs, shard, transaction_id)
    once = key.once(hold_request, accounts_pb.HoldFundsResponse)
    hold, hold_posting = await postings.open_hold(accounts, planned, once, buyer_id, amount.amount_minor)
    ids |= {"hold": str(hold.id), "hold_posting": str(hold_posting.id)}

    async with trading.transaction():
        await trading.execute(LOCK_LISTING, listing_id)
        await trading.execute(PAY, transaction_id, hold.id, hold_posting.id)
        await trading.execute(EVENTS, *sample.events(sample.trading_events[1], ids))

    key = sample.transfer_key
    transfer_request = f"{transaction_id}:transfer"
    async with catalog.transaction():
        await _claim(catalog, key, key.scope, transfer_request)
        if await catalog.fetchval(TRANSFER, item_id, seller_id, buyer_id) is None:
            raise Failed("item not the seller's")
        await catalog.execute(EVENTS, *sample.events(sample.transfer_events, ids))
        await catalog.execute(ANSWER, key.scope, transfer_request, key.response)

    key = sample.capture_key
    capture_request = f"{transaction_id}:capture"
    capture_scope = f"{PostingKind.CAPTURE.value}:{hold.id}"
    hold = await postings.read_hold(accounts, hold.id)
    moved, after = settle(hold.amounts, PostingKind.CAPTURE, None, hold.currency)
    legs = capture_legs(buyer_id, seller_id, moved, fee.amount_minor)
    shard = platform_shard(capture_request)
    planned = ledger.plan(
        PostingKind.CAPTURE, capture_scope, capture_request, hold.currency, legs, shard, transaction_id
    )
    once = key.once(capture_request, accounts_pb.CaptureFundsResponse)
    _, capture = await postings.settle_hold(accounts, planned, once, hold, after)
    ids["settle_posting"] = str(capture.id)

    async with trading.transaction():
        await trading.execute(SELL, listing_id)
        await trading.execute(COMPLETE, transaction_id, capture.id)
        await trading.execute(EXPIRE_OFFERS, listing_id)
        await trading.execute(EVENTS, *sample.events(sample.trading_events[2], ids))


async def cache_accounts(ledger: Ledger, users: list[UUID], currency: str) -> None:
    """Makes the ledger accounts the purchases touch where missing and caches their ids, so that no
    purchase looks one up."""
    kinds = (LedgerAccountKind.AVAILABLE, LedgerAccountKind.HELD)
    legs = [Leg(kind, user_id, 0) for user_id in users for kind in kinds]
    for shard in range(PLATFORM_SHARDS):
        platform = Leg(LedgerAccountKind.PLATFORM_FEES, None, 0)
        await ledger.find_accounts(AccountsMissing(currency, [*legs, platform], shard))


async def measure_ceiling(
    urls: dict[str, str],
    ledger: Ledger,
    sample: Sample,
    listings: Iterator[UUID],
    buyers: list[UUID],
    concurrency: int,
    seconds: float,
    warmup: float,
) -> Result:
    """`concurrency` clients, each with a connection to each database, buying the next fresh listing
    for a random buyer."""
    clients: list[Connections] = []

    def call_of(connections: Connections):
        async def call() -> None:
            listing_id = next(listings, None)
            if listing_id is None:
                raise Failed("out of listings (raise --listings)")
            await purchase(connections, ledger, sample, listing_id, random.choice(buyers))

        return call

    try:
        for _ in range(concurrency):
            opened = [await asyncpg.connect(urls[context]) for context in ("trading", "accounts", "catalog")]
            clients.append(Connections(*opened))
        calls = [call_of(connections) for connections in clients]
        return await measure("ceiling", calls, seconds=seconds, warmup=warmup)
    finally:
        for connections in clients:
            for connection in (connections.trading, connections.accounts, connections.catalog):
                await connection.close()
