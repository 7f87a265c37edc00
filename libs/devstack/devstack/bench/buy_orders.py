"""Benchmark "buy-orders": matching listings against 100,000 open buy orders, and what the orders cost
listing creation.

A private stack (as the gateway scenario's) with the catalog seeded; 20,000 listings generated and
loaded with COPY into its trading database (search_data.py, not timed), then, one after the other:

    creation, no orders     POST /v1/listings through the gateway (free-form listings of the seeded
                            categories), closed-loop clients, with trading's buy-order matcher running
    (load)                  N open orders across the categories (buy_order_data.py, bulk-loaded, timed
                            apart; their holds made up, which the output says)
    creation, N orders      the same load again: each listing is now matched by the matcher against the
                            orders after its transaction commits, and bought when an order matches
    creation, capped under  the same load with every order capped under any price (matched, buying
    / closed                nothing) and with every order closed (no longer matched), PAIRS runs of each
                            alternated, their medians compared: what matching alone costs creation,
                            and the baseline after the orders (the machine's drift shows against the first)
    matching                trading's own query for the orders a listing matches
                            (trading.repository.standing_queries.queries_matching), in this process,
                            one listing after another over listings already on sale: every match
                            ("all"), and the best CANDIDATES (what a fill reads)

The figures are printed and written to bench-results/buy-orders.json.
"""

import asyncio
import json
import random
import statistics
import struct
import time
import uuid
from uuid import UUID

import asyncpg
import grpc
import httpx
from rich.console import Console
from rich.table import Table

from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.buy_order_data import load_orders
from devstack.bench.load import Call, Result, http_clients, machine_summary, measure
from devstack.bench.results import load_figures, tell_written, write_results
from devstack.bench.search_data import ListingGenerator, load_listings
from devstack.postgres import service_url
from devstack.stack import Supervisor
from servicekit.auth import Role
from servicekit.config import PoolSettings
from servicekit.db import Database
from trading.config import TradingSettings
from trading.consumers import CONSUMER as MATCHER
from trading.domain.standing_queries import StandingQueryKind
from trading.repository.standing_queries import queries_matching
from trading.service.fills import CANDIDATES

LISTINGS = 20_000
# Listing bodies made ahead for each creation run: more than the runs create.
BODIES = 20_000
SELLERS = 200
MATCH_RUNS = 1_000
TARGET_P99_MS = 20.0
TARGET_SLOWDOWN = 0.10
# Alternated pairs of creation runs: the orders capped under every price, then closed.
PAIRS = 3


def _point(ewkb: bytes) -> dict:
    longitude, latitude = struct.unpack("<dd", ewkb[9:25])
    return {"latitude": latitude, "longitude": longitude}


def listing_bodies(generator: ListingGenerator, count: int) -> list[dict]:
    """Free-form listings of the seeded categories as POST /v1/listings takes them (a purchase of one waits for
    its buyer's confirmation: no ledger call is made for a fill during the run)."""
    records, _ = generator.batch(count)
    bodies = []
    for record in records:
        _, _, title, description, condition, price, currency, location, feed, _, _, _, _, category_id, _, values = (
            record
        )
        body = {
            "title": title,
            "description": description,
            "category_id": str(category_id),
            "attributes": json.loads(values),
            "price": {"currency": currency, "amount_minor": price},
            "feed": f"FEED_{feed.upper()}",
        }
        if condition:
            body["condition"] = f"CONDITION_{condition.upper()}"
        if location:
            body["location"] = _point(location)
        bodies.append(body)
    return bodies


async def measure_creation(
    name: str, stack: BenchStack, bodies: list[dict], concurrency: int, seconds: float, warmup: float
) -> Result:
    clients = http_clients(stack.config.gateway_url, concurrency)
    tokens = [stack.keys.token(uuid.uuid4(), Role.SELLER) for _ in range(SELLERS)]
    left = iter(bodies)

    def call_of(client: httpx.AsyncClient, index: int) -> Call:
        headers = {"authorization": f"Bearer {tokens[index % SELLERS]}"}

        async def call() -> None:
            (await client.post("/v1/listings", json=next(left), headers=headers)).raise_for_status()

        return call

    try:
        return await measure(
            name, [call_of(client, index) for index, client in enumerate(clients)], seconds=seconds, warmup=warmup
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def measure_matching(db: Database, listing_ids: list[UUID], limit: int | None) -> tuple[list[float], int]:
    """Milliseconds of each listing's match, one after another, and the orders found in all."""
    latencies, found = [], 0
    for listing_id in listing_ids:
        async with db.read() as session:
            started = time.perf_counter()
            matched = await queries_matching(session, StandingQueryKind.BUY_ORDER, listing_id, limit)
            latencies.append((time.perf_counter() - started) * 1000)
        found += len(matched)
    return sorted(latencies), found


def percentile(latencies: list[float], fraction: float) -> float:
    return latencies[max(1, round(fraction * len(latencies))) - 1]


async def _bench(server: str, console: Console, orders: int, concurrency: int, seconds: float, warmup: float) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        started = time.monotonic()
        trading_url = stack.database_url("trading")
        categories = await load_listings(trading_url, stack.database_url("catalog"), LISTINGS, console)
        bodies = listing_bodies(ListingGenerator(categories, seed=7), 3 * BODIES)
        machine = machine_summary()
        console.print(machine)
        console.print(f"[bold]creating listings through the gateway[/], no orders: {warmup:g} + {seconds:g} s")
        without = await measure_creation("no orders", stack, bodies[:BODIES], concurrency, seconds, warmup)
        supervisor.check_alive()
        console.print(f"[bold]loading {orders:,} open orders[/] (bulk INSERT; holds made up, none in accounts)")
        loading = time.monotonic()
        await load_orders(trading_url, categories, orders)
        loaded = time.monotonic() - loading
        console.print(f"loaded in {loaded:.0f} s; [bold]creating listings[/] with them: {warmup:g} + {seconds:g} s")
        fills_before = await _fills(trading_url)
        with_orders = await measure_creation(
            f"{orders:,} orders", stack, bodies[BODIES : 2 * BODIES], concurrency, seconds, warmup
        )
        supervisor.check_alive()
        fills_in_run = await _fills(trading_url) - fills_before
        behind = await _matcher_caught_up(trading_url)
        fills = await _fills(trading_url) - fills_before
        to_fill = await _listed_to_bought(trading_url)
        db = Database(service_url(stack.server, stack.config.database("trading")), PoolSettings(size=2))
        try:
            sample = await _active_listings(trading_url, MATCH_RUNS)
            console.print(f"[bold]matching[/] {len(sample):,} listings on sale against the orders, one after another")
            await measure_matching(db, sample[:50], None)  # warm the caches
            every, found = await measure_matching(db, sample, None)
            best, _ = await measure_matching(db, sample, CANDIDATES)
        finally:
            await db.dispose()
        # Matching without purchases against no orders at all, in alternated runs: the machine's drift (other
        # work on its cores moved single runs by 30 %) falls on both alike.
        await _cap_orders_under_every_price(trading_url)
        fills_before_capped = await _fills(trading_url)
        capped_runs, closed_runs = [], []
        chunks = iter(range(2 * BODIES, 3 * BODIES, BODIES // (2 * PAIRS)))
        for pair in range(1, PAIRS + 1):
            for opened, runs, label in (
                (True, capped_runs, "capped under every price"),
                (False, closed_runs, "closed"),
            ):
                await _set_orders_open(trading_url, opened)
                console.print(
                    f"[bold]creating listings[/], orders {label} ({pair}/{PAIRS}): {warmup:g} + {seconds:g} s"
                )
                start = next(chunks)
                chunk = bodies[start : start + BODIES // (2 * PAIRS)]
                runs.append(
                    await measure_creation(f"orders {label} ({pair})", stack, chunk, concurrency, seconds, warmup)
                )
                supervisor.check_alive()
        fills_capped = await _fills(trading_url) - fills_before_capped
        capped_rate = statistics.median(run.rate for run in capped_runs)
        closed_rate = statistics.median(run.rate for run in closed_runs)
        # Against the runs without orders before and after: the machine's drift between runs counts in neither.
        slowdown = 1 - with_orders.rate / ((without.rate + closed_rate) / 2)
        slowdown_capped = 1 - capped_rate / closed_rate
        table = Table(title=f"buy orders: {orders:,} open orders, {concurrency} clients")
        for column in ("measure", "per second", "p50 ms", "p99 ms", "errors"):
            table.add_column(column, justify="left" if column == "measure" else "right")
        for result in (without, with_orders, *capped_runs, *closed_runs):
            table.add_row(
                f"listing creation, {result.name}",
                f"{result.rate:.0f}",
                f"{result.p50:.0f}",
                f"{result.p99:.0f}",
                str(result.errors),
            )
        if to_fill:
            table.add_row(
                "listing created -> bought by an order",
                f"{len(to_fill)}",
                f"{percentile(to_fill, 0.5):.0f}",
                f"{percentile(to_fill, 0.99):.0f}",
                "",
            )
        table.add_row(
            "matching, every order a listing matches",
            "",
            f"{percentile(every, 0.5):.1f}",
            f"{percentile(every, 0.99):.1f}",
            "",
        )
        table.add_row(
            f"matching, the best {CANDIDATES}", "", f"{percentile(best, 0.5):.1f}", f"{percentile(best, 0.99):.1f}", ""
        )
        console.print(table)
        console.print(
            f"creation {slowdown:+.1%} slower with the orders (their purchases included) than the mean of the runs "
            f"without them before and after; with the orders capped under every price (matched, {fills_capped} "
            f"bought) {slowdown_capped:+.1%}, median of {PAIRS} runs against {PAIRS} alternated with every order closed "
            f"(target at most {TARGET_SLOWDOWN:.0%}); matching p99 "
            f"{percentile(every, 0.99):.1f} ms (target under {TARGET_P99_MS:g}); {found / len(sample):.1f} orders "
            f"matched per listing on sale; {fills} listings created with the orders were bought by one "
            f"({fills_in_run} during the run; the matcher caught up {behind:.1f} s after it). "
            f"The orders' holds are made up (loaded in bulk, nothing held in accounts); the listings are free-form, "
            f"whose purchases wait for their buyer, so no fill asked the ledger for one."
        )
        figures = {
            "machine": machine,
            "orders": orders,
            "orders_load_seconds": round(loaded),
            "holds": "made up: the orders were loaded in bulk with invented hold ids; no money was held in accounts",
            "listings_on_sale": LISTINGS,
            "concurrency": concurrency,
            "creation": {
                result.name: load_figures(result) for result in (without, with_orders, *capped_runs, *closed_runs)
            },
            "creation_slowdown": round(slowdown, 3),
            "creation_slowdown_orders_capped_under": round(slowdown_capped, 3),
            "creation_per_second_medians": {"capped_under": round(capped_rate, 1), "closed": round(closed_rate, 1)},
            "fills_with_orders_capped_under": fills_capped,
            "fills_during_creation": fills_in_run,
            "fills_after_catching_up": fills,
            "matcher_behind_seconds_after_creation": round(behind, 1),
            "listing_created_to_bought_ms": {
                "p50": round(percentile(to_fill, 0.5)) if to_fill else None,
                "p99": round(percentile(to_fill, 0.99)) if to_fill else None,
                "matcher_poll_seconds": TradingSettings.buy_order_match_seconds,
            },
            "matching_ms": {
                "all": {"p50": round(percentile(every, 0.5), 2), "p99": round(percentile(every, 0.99), 2)},
                f"best_{CANDIDATES}": {"p50": round(percentile(best, 0.5), 2), "p99": round(percentile(best, 0.99), 2)},
                "listings": len(sample),
                "orders_matched_per_listing": round(found / len(sample), 2),
            },
            "targets": {"matching_p99_ms": TARGET_P99_MS, "creation_slowdown": TARGET_SLOWDOWN},
        }
        ratios = {
            "creation with the orders / without": round(1 - slowdown, 3),
            "creation with the orders capped under every price / closed": round(1 - slowdown_capped, 3),
        }
        path = write_results("buy-orders", figures, ratios)
        tell_written(console, path, time.monotonic() - started)
        return 0

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, asyncpg.PostgresError),
        seed={"catalog": {}},
    )


async def _fills(trading_url: str) -> int:
    connection = await asyncpg.connect(trading_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM buy_order_fills")
    finally:
        await connection.close()


async def _active_listings(trading_url: str, count: int) -> list[UUID]:
    connection = await asyncpg.connect(trading_url)
    try:
        rows = await connection.fetch("SELECT id FROM listings WHERE status = 'active' ORDER BY id LIMIT $1", count * 4)
    finally:
        await connection.close()
    ids = [row["id"] for row in rows]
    random.Random(1).shuffle(ids)
    return ids[:count]


def bench(orders: int, concurrency: int, seconds: float, warmup: float) -> int:
    if orders < 1 or concurrency < 1 or seconds <= 0 or warmup < 0:
        raise SystemExit("--orders and --concurrency must be at least 1, --seconds above 0, --warmup not below 0")
    console = Console(highlight=False)
    return run_on_server(lambda server: _bench(server, console, orders, concurrency, seconds, warmup))


async def _matcher_caught_up(trading_url: str) -> float:
    """Waits until trading's matcher has read every event written so far; how long that took, in seconds."""
    started = time.monotonic()
    connection = await asyncpg.connect(trading_url)
    try:
        head = await connection.fetchrow("SELECT txid, id FROM outbox_events ORDER BY txid DESC, id DESC LIMIT 1")
        while True:
            at = await connection.fetchrow("SELECT txid, event_id FROM outbox_consumers WHERE consumer = $1", MATCHER)
            if at is not None and (at["txid"], at["event_id"]) >= (head["txid"], head["id"]):
                return time.monotonic() - started
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def _listed_to_bought(trading_url: str) -> list[float]:
    """Milliseconds from each bought listing's creation to its fill's: the matcher's wait, its query and the
    fill's reservation (both times are their transactions' starts)."""
    connection = await asyncpg.connect(trading_url)
    try:
        rows = await connection.fetch(
            "SELECT extract(epoch FROM f.created_at - l.created_at) * 1000 AS ms FROM buy_order_fills f"
            " JOIN transactions t ON t.id = f.transaction_id JOIN listings l ON l.id = t.listing_id"
        )
    finally:
        await connection.close()
    return sorted(float(row["ms"]) for row in rows)


async def _set_orders_open(trading_url: str, opened: bool) -> None:
    """Opens or closes every order (a closed one's standing query is no longer matched), without their holds."""
    connection = await asyncpg.connect(trading_url)
    try:
        await connection.execute("UPDATE standing_queries SET open = $1", opened)
    finally:
        await connection.close()


async def _cap_orders_under_every_price(trading_url: str) -> None:
    """Lowers every open order's cap under any listing's price: the listings are still matched and announced
    to the matcher, which buys nothing (creation's cost without the purchases a matching order makes)."""
    connection = await asyncpg.connect(trading_url)
    try:
        await connection.execute("UPDATE standing_queries SET max_price_minor = 1 WHERE open")
    finally:
        await connection.close()
