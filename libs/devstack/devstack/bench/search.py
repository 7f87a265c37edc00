"""Benchmark "search": listing search at scale, through the gateway and on each backend in this process.

A private stack (as the gateway scenario's) with the catalog seeded; N listings (default 1,000,000)
generated and loaded with COPY into its trading database (search_data.py, not timed). Then each
kind of search (search_queries.py) under the same closed-loop load, target after target:

    gateway             GET /v1/listings over HTTP/1.1 -> gateway -> trading SearchListings -> PostgreSQL
    postgres            PostgresSearch.search in this process, the filters parsed as the service parses them
    postgres, no index  the same with the search indexes dropped: a few sequential runs, it is slow

The figures (p50, p95, p99 in ms per kind and target) are printed beside the targets and written
to bench-results/search.json.
"""

import asyncio
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import grpc
import httpx
from rich.console import Console
from rich.table import Table

from devstack.bench import BenchStack, in_bench_stack
from devstack.bench.load import Call, Result, error_kind, http_clients, machine_summary, measure
from devstack.bench.search_data import ListingGenerator, load_listings
from devstack.bench.search_queries import KINDS, QueryKind, Search, Vocabulary, http_params
from devstack.paths import ROOT
from devstack.postgres import postgres_server, service_url
from devstack.stack import Supervisor
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.config import PoolSettings
from servicekit.db import Database
from trading.api import search_query_from_proto
from trading.clients import Catalog
from trading.search import SearchAttribute, SearchBackend
from trading.search.postgres import PostgresSearch
from trading.service.search import search_listings

RESULTS = ROOT / "bench-results" / "search.json"
SEARCH_INDEXES = (
    "ix_listings_search_document",
    "ix_listings_title_trgm",
    "idx_listings_location",
    "ix_listing_attribute_values_key_number",
    "ix_listing_attribute_values_key_string",
    "ix_listing_attribute_values_key_boolean",
)
# p95 through the gateway each backend is to keep, facets of the broad search included.
GATEWAY_P95_MS = {"postgres": 100.0, "elasticsearch": 50.0}
SLOW_STATEMENT_MS = 600_000


class CachedCatalog:
    """Catalog's category attributes, asked once per category: the in-process targets time the backend,
    not the call to catalog that the service makes first."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._known: dict[UUID, list[SearchAttribute] | None] = {}

    async def category_attributes(self, category_id: UUID) -> list[SearchAttribute] | None:
        if category_id not in self._known:
            self._known[category_id] = await self._catalog.category_attributes(category_id)
        return self._known[category_id]


def in_process(backend: SearchBackend, catalog: CachedCatalog) -> Search:
    async def search(request: pb.SearchListingsRequest) -> str:
        query, violations = search_query_from_proto(request)
        result = await search_listings(backend, catalog, query, violations, None)  # type: ignore[arg-type]
        return result.next_page_token

    return search


def over_http(client: httpx.AsyncClient) -> Search:
    async def search(request: pb.SearchListingsRequest) -> str:
        response = await client.get("/v1/listings", params=http_params(request))
        response.raise_for_status()
        return response.json().get("next_page_token", "")

    return search


async def sequential(name: str, call: Call, runs: int) -> Result:
    """`runs` calls one after the other, each timed: for targets too slow for a closed loop of seconds."""
    latencies, failures = [], {}
    started = time.perf_counter()
    for _ in range(runs):
        sent = time.perf_counter()
        try:
            await call()
            latencies.append(time.perf_counter() - sent)
        except Exception as error:
            failures[error_kind(error)] = failures.get(error_kind(error), 0) + 1
    seconds = time.perf_counter() - started
    return Result(name, len(latencies), sum(failures.values()), seconds, sorted(latencies), failures)


@dataclass(frozen=True)
class Load:
    concurrency: int
    seconds: float
    warmup: float
    slow_runs: int


async def measure_kinds(
    console: Console, target: str, searches: Sequence[Search], kinds: Sequence[QueryKind], load: Load
) -> dict[str, Result]:
    results = {}
    for kind in kinds:
        console.print(f"  {target}: {kind.name}")
        rngs = [random.Random(f"{kind.name}:{index}") for index in range(len(searches))]
        calls = [kind.call(search, rng) for search, rng in zip(searches, rngs, strict=True)]
        results[kind.name] = await measure(kind.name, calls, seconds=load.seconds, warmup=load.warmup)
    return results


async def measure_slow(
    console: Console, target: str, search: Search, kinds: Sequence[QueryKind], runs: int
) -> dict[str, Result]:
    results = {}
    for kind in kinds:
        console.print(f"  {target}: {kind.name}")
        results[kind.name] = await sequential(kind.name, kind.call(search, random.Random(kind.name)), runs)
    return results


async def broad_share(stack: BenchStack, vocabulary: Vocabulary) -> tuple[int, int]:
    """How many active listings the broad search matches, of how many."""
    connection = await asyncpg.connect(stack.database_url("trading"))
    try:
        row = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE category_id = $1) AS broad, count(*) AS active"
            " FROM listings WHERE status = 'active'",
            vocabulary.broad.id,
        )
    finally:
        await connection.close()
    return row["broad"], row["active"]


async def drop_search_indexes(stack: BenchStack) -> None:
    connection = await asyncpg.connect(stack.database_url("trading"))
    try:
        for name in SEARCH_INDEXES:
            await connection.execute(f"DROP INDEX {name}")
    finally:
        await connection.close()


def cell(result: Result | None) -> str:
    if result is None or not result.completed:
        return "-"
    return f"{result.p50:.0f} / {result.percentile(0.95):.0f} / {result.percentile(0.99):.0f}"


def report(console: Console, results: dict[str, dict[str, Result]], kinds: Sequence[QueryKind]) -> None:
    table = Table(title="p50 / p95 / p99 ms per search")
    table.add_column("search")
    for target in results:
        table.add_column(target, justify="right")
    table.add_column("runs", justify="right")
    table.add_column(f"target: gateway p95 < {GATEWAY_P95_MS['postgres']:g} ms (PostgreSQL)", justify="left")
    for kind in kinds:
        gateway = results.get("gateway", {}).get(kind.name)
        runs = "/".join(str(by_kind[kind.name].completed) for by_kind in results.values() if kind.name in by_kind)
        verdict = "-"
        if gateway is not None and gateway.completed:
            met = gateway.percentile(0.95) < GATEWAY_P95_MS["postgres"]
            verdict = "[green]met[/]" if met else "[red]missed[/]"
        table.add_row(kind.name, *(cell(by_kind.get(kind.name)) for by_kind in results.values()), runs, verdict)
    console.print(table)
    for kind in kinds:
        console.print(f"  {kind.name:26} {kind.about}", soft_wrap=True)
    for target, by_kind in results.items():
        for result in by_kind.values():
            for failure, count in result.failures.items():
                console.print(f"  [red]{target} {result.name}: {failure} x {count}[/]", soft_wrap=True)


def write_results(results: dict[str, dict[str, Result]], facts: dict) -> None:
    figures = {
        target: {
            name: {
                "p50_ms": result.p50,
                "p95_ms": result.percentile(0.95),
                "p99_ms": result.percentile(0.99),
                "runs": result.completed,
                "errors": result.errors,
            }
            for name, result in by_kind.items()
        }
        for target, by_kind in results.items()
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({**facts, "targets_p95_ms": GATEWAY_P95_MS, "figures": figures}, indent=2) + "\n")


async def _bench(server: str, console: Console, listings: int, load: Load) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        started = time.monotonic()
        categories = await load_listings(
            stack.database_url("trading"), stack.database_url("catalog"), listings, console
        )
        loaded = time.monotonic() - started
        vocabulary = Vocabulary(ListingGenerator(categories).words, categories)
        kinds = [kind(vocabulary) for kind in KINDS]
        broad, active = await broad_share(stack, vocabulary)
        console.print(
            f"{machine_summary()} Loaded {listings:,} listings in {loaded:.0f} s; {active:,} active, the broad "
            f"search matches {broad:,} ({broad / active:.0%}). {load.concurrency} concurrent clients, "
            f"{load.seconds:g} s measured after {load.warmup:g} s warm-up per search and target; "
            f"{load.slow_runs} runs one after the other without the indexes.",
            soft_wrap=True,
        )
        results: dict[str, dict[str, Result]] = {}
        clients = http_clients(stack.config.gateway_url, load.concurrency)
        try:
            searches = [over_http(client) for client in clients]
            results["gateway"] = await measure_kinds(console, "gateway", searches, kinds, load)
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))
        supervisor.check_alive()
        pool = PoolSettings(size=load.concurrency, statement_timeout_ms=SLOW_STATEMENT_MS)
        db = Database(service_url(stack.server, stack.config.database("trading")), pool)
        try:
            async with grpc.aio.insecure_channel(stack.config.address("catalog")) as channel:
                catalog = CachedCatalog(Catalog(channel, 30))
                search = in_process(PostgresSearch(db), catalog)
                results["postgres"] = await measure_kinds(console, "postgres", [search] * load.concurrency, kinds, load)
                await drop_search_indexes(stack)
                results["postgres, no index"] = await measure_slow(
                    console, "postgres, no index", search, kinds, load.slow_runs
                )
        finally:
            await db.dispose()
        report(console, results, kinds)
        facts = {"listings": listings, "active": active, "broad_matches": broad, "load_seconds": round(loaded)}
        write_results(results, {"machine": machine_summary(), **facts, "concurrency": load.concurrency})
        console.print(f"written to {RESULTS.relative_to(ROOT)}; whole scenario {time.monotonic() - started:.0f} s")
        return 0

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, asyncpg.PostgresError),
        seed={"catalog": {}},
    )


def bench(listings: int, concurrency: int, seconds: float, warmup: float, slow_runs: int) -> int:
    if listings < 1 or concurrency < 1 or seconds <= 0 or warmup < 0 or slow_runs < 1:
        raise SystemExit(
            "--listings, --concurrency and --runs must be at least 1, --seconds above 0, --warmup not below 0"
        )
    console = Console(highlight=False)
    with postgres_server() as server:
        try:
            return asyncio.run(_bench(server, console, listings, Load(concurrency, seconds, warmup, slow_runs)))
        except KeyboardInterrupt:
            return 130
