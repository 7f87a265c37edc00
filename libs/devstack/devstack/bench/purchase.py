"""Benchmark "purchase": buying game items through the gateway, beside the saga's own SQL run bare.

A private stack, as the gateway scenario's, with the catalog seeded. Preparation, not timed
(purchase_setup.py): funded buyers, and enough fresh listings of game items for both targets; then
one purchase through the gateway checks the path and is the sample the ceiling repeats.

Then the same closed-loop load of N clients, one target after the other, each on listings
nobody bought yet, for the same time:

    gateway   POST /v1/listings/{id}:buy over HTTP/1.1, one keep-alive connection and an Idempotency-Key
              each -> gateway -> trading BuyListing: reserve; accounts HoldFunds; pay; catalog
              TransferItem; accounts CaptureFunds; complete (services/trading/README.md, "Purchases")
    ceiling   the saga's statements in bare SQL on asyncpg, the stack stopped (purchase_ceiling.py)

Last, the checks: the ledger's invariants, every completed transaction's item owned by its buyer,
no purchase left short of completed. A broken one fails the bench.
"""

import asyncio
import itertools
import math
import random
import uuid
from collections.abc import Iterator
from uuid import UUID

import asyncpg
import grpc
import httpx
from rich.console import Console
from rich.table import Table

from accounts.repository.ledger import Ledger
from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.cpu import Costed, costed, cpu_table, postgres_pid
from devstack.bench.load import Call, Failed, Result, http_clients, machine_summary, measure
from devstack.bench.market import COMPLETED, buy
from devstack.bench.purchase_ceiling import Event, Key, Sample, cache_accounts, measure_ceiling
from devstack.bench.purchase_setup import SELLERS, bearer, prepare
from devstack.bench.results import load_figures, write_results
from devstack.postgres import service_url
from devstack.stack import Supervisor
from servicekit.config import PoolSettings
from servicekit.db import Database


def buyer_calls(
    stack: BenchStack, clients: list[httpx.AsyncClient], listings: Iterator[UUID], buyers: list[UUID]
) -> list[Call]:
    """Each client buys the next fresh listing for a random buyer; anything but a completed purchase fails."""
    tokens = [bearer(stack, buyer) for buyer in buyers]

    def call_of(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            listing_id = next(listings, None)
            if listing_id is None:
                raise Failed("out of listings (raise --listings)")
            await buy(client, listing_id, random.choice(tokens))

        return call

    return [call_of(client) for client in clients]


async def measure_gateway(
    stack: BenchStack, listings: Iterator[UUID], buyers: list[UUID], concurrency: int, seconds: float, warmup: float
) -> Result:
    clients = http_clients(stack.config.gateway_url, concurrency)
    try:
        return await measure("gateway", buyer_calls(stack, clients, listings, buyers), seconds=seconds, warmup=warmup)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def sample_purchase(stack: BenchStack, listing_id: UUID, buyer_id: UUID) -> Sample:
    """One purchase through the gateway, and what it wrote in each database (see purchase_ceiling.Sample)."""
    urls = {context: stack.database_url(context) for context in ("trading", "accounts", "catalog")}
    connections = {context: await asyncpg.connect(url) for context, url in urls.items()}
    try:
        newest = "SELECT coalesce(max(id), 0) FROM outbox_events"
        before = {context: await connections[context].fetchval(newest) for context in ("trading", "catalog")}
        request_id = uuid.uuid4().hex
        async with httpx.AsyncClient(base_url=stack.config.gateway_url, timeout=30) as client:
            headers = {"authorization": bearer(stack, buyer_id), "idempotency-key": request_id}
            response = await client.post(f"/v1/listings/{listing_id}:buy", json={}, headers=headers)
        response.raise_for_status()
        bought = response.json()
        if bought["status"] != COMPLETED:
            raise RuntimeError(f"the sample purchase is {bought['status']}, not completed")
        names = ("listing", "item", "buyer", "seller", "hold", "hold_posting", "settle_posting")
        ids = {"transaction": bought["id"]} | {name: bought[f"{name}_id"] for name in names}

        async def events(context: str) -> list[list[Event]]:
            rows = await connections[context].fetch(
                "SELECT txid, event_type, subject_id, payload_type, payload::text AS payload FROM outbox_events"
                " WHERE id > $1 ORDER BY txid, id",
                before[context],
            )
            by_transaction = itertools.groupby(rows, key=lambda row: row["txid"])
            return [
                [Event(row["event_type"], row["subject_id"], row["payload_type"], row["payload"]) for row in group]
                for _, group in by_transaction
            ]

        async def key(context: str, request: str) -> Key:
            row = await connections[context].fetchrow(
                "SELECT scope, request_hash, response FROM idempotency_keys WHERE key = $1", request
            )
            return Key(row["scope"], row["request_hash"], row["response"])

        trading_events, [transfer_events] = await events("trading"), await events("catalog")
        if len(trading_events) != 3:
            raise RuntimeError(f"the saga wrote trading's events in {len(trading_events)} transactions, not 3")
        transaction = bought["id"]
        return Sample(
            ids=ids,
            fee_bps=bought["platform_fee_bps"],
            trading_events=tuple(trading_events),
            transfer_events=transfer_events,
            buy_key=await key("trading", request_id),
            hold_key=await key("accounts", f"{transaction}:hold"),
            transfer_key=await key("catalog", f"{transaction}:transfer"),
            capture_key=await key("accounts", f"{transaction}:capture"),
        )
    finally:
        for connection in connections.values():
            await connection.close()


OWNED_BY_OTHERS = """
SELECT bought.item_id, bought.buyer_id, items.owner_id
FROM unnest($1::uuid[], $2::uuid[]) AS bought(item_id, buyer_id) LEFT JOIN items ON items.id = bought.item_id
WHERE items.owner_id IS DISTINCT FROM bought.buyer_id
"""


async def check(stack: BenchStack) -> tuple[dict[str, list], dict[str, int]]:
    """What the run broke (by check, empty when nothing), and the transactions by status."""
    broken: dict[str, list] = {}
    trading = await asyncpg.connect(stack.database_url("trading"))
    try:
        statuses = dict(await trading.fetch("SELECT status::text, count(*) FROM transactions GROUP BY 1 ORDER BY 1"))
        completed = await trading.fetch("SELECT item_id, buyer_id FROM transactions WHERE status = 'completed'")
    finally:
        await trading.close()
    catalog = await asyncpg.connect(stack.database_url("catalog"))
    try:
        rows = await catalog.fetch(
            OWNED_BY_OTHERS, [row["item_id"] for row in completed], [row["buyer_id"] for row in completed]
        )
    finally:
        await catalog.close()
    if rows:
        broken["a completed purchase's item is not its buyer's"] = [tuple(row.values()) for row in rows]
    if unfinished := {status: count for status, count in statuses.items() if status != "completed"}:
        broken["a purchase did not complete"] = [unfinished]
    return broken | await stack.ledger_violations(), statuses


def report(
    console: Console, gateway: Costed, ceiling: Costed, broken: dict[str, list], statuses: dict[str, int]
) -> None:
    table = Table()
    for column in ("target", "purchases/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for result in (gateway.result, ceiling.result):
        row = (f"{result.rate:,.0f}", f"{result.p50:.1f}", f"{result.p99:.1f}", str(result.errors))
        table.add_row(result.name, *row)
    console.print(table)
    for result in (gateway.result, ceiling.result):
        for kind, count in sorted(result.failures.items(), key=lambda failure: -failure[1]):
            console.print(f"  {result.name} error: {kind} x {count}", soft_wrap=True)
    ratio = gateway.result.rate / ceiling.result.rate if ceiling.result.rate else math.nan
    console.print(f"gateway/ceiling: purchases/s {ratio:.2f}x", soft_wrap=True)
    figures = {
        costed.result.name: {**load_figures(costed.result), "cpu_ms_per_purchase": costed.cpu_ms}
        for costed in (gateway, ceiling)
    }
    checks = {"transactions_by_status": statuses, "broken": {name: len(rows) for name, rows in broken.items()}}
    write_results("purchase", {**figures, **checks}, {"gateway/ceiling purchases/s": ratio})
    console.print(cpu_table("purchase", {"gateway": gateway, "ceiling": ceiling}))
    console.print(f"transactions by status: {statuses}", soft_wrap=True)
    for name, rows in broken.items():
        console.print(f"[red]FAILED: {name}: {rows[:5]}{' ...' if len(rows) > 5 else ''}[/]", soft_wrap=True)
    if not broken:
        console.print(
            "checks after the run: [green]passed[/] (the ledger's invariants; every completed purchase's item "
            "is its buyer's; every purchase completed)",
            soft_wrap=True,
        )


def describe(console: Console, concurrency: int, seconds: float, warmup: float, buyers: int, listings: int) -> None:
    console.print(
        f"{machine_summary()} {concurrency} concurrent clients, {seconds:g} s measured after {warmup:g} s warm-up "
        f"per target, {buyers:,} funded buyers, {SELLERS} sellers, {listings:,} fresh listings per target. "
        "The load generator (one asyncio process) shares the cores with the stack and PostgreSQL.",
        soft_wrap=True,
    )


async def _bench(
    server: str, console: Console, concurrency: int, seconds: float, warmup: float, buyers: int, listings: int
) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        buyer_ids, seller_ids, fresh = await prepare(stack, console, buyers, 2 * listings + 1)
        sample = await sample_purchase(stack, fresh[0], buyer_ids[0])
        for_gateway, for_ceiling = iter(fresh[1 : listings + 1]), iter(fresh[listings + 1 :])
        processes = {child.name: child.pid for child in supervisor.children}
        if (postmaster := await postgres_pid(stack.database_url("trading"))) is not None:
            processes["PostgreSQL"] = postmaster
        describe(console, concurrency, seconds, warmup, buyers, listings)
        console.print(f"[bold]measuring[/] gateway, then ceiling: about {2 * (seconds + warmup):.0f} s")
        load = measure_gateway(stack, for_gateway, buyer_ids, concurrency, seconds, warmup)
        gateway = await costed(processes, load)
        supervisor.check_alive()
        await supervisor.stop_all()  # the ceiling has the machine and the connections to itself
        ledger_db = Database(service_url(stack.server, stack.config.database("accounts")), PoolSettings(size=1))
        try:
            ledger = Ledger(ledger_db)
            await cache_accounts(ledger, buyer_ids + seller_ids, "USD")
        finally:
            await ledger_db.dispose()
        urls = {context: stack.database_url(context) for context in ("trading", "accounts", "catalog")}
        load = measure_ceiling(urls, ledger, sample, for_ceiling, buyer_ids, concurrency, seconds, warmup)
        ceiling = await costed({"PostgreSQL": postmaster} if postmaster else {}, load)
        broken, statuses = await check(stack)
        report(console, gateway, ceiling, broken, statuses)
        return 1 if broken else 0

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, asyncpg.PostgresError, RuntimeError),
        seed={"catalog": {}},
    )


def bench(concurrency: int, seconds: float, warmup: float, buyers: int, listings: int) -> int:
    if concurrency < 1 or seconds <= 0 or warmup < 0 or buyers < 1:
        raise SystemExit("--concurrency and --buyers must be at least 1, --seconds above 0, --warmup not below 0")
    listings = listings or math.ceil((seconds + warmup) * 1000)
    console = Console(highlight=False)
    return run_on_server(lambda server: _bench(server, console, concurrency, seconds, warmup, buyers, listings))
