"""Benchmark "search": listing search at scale, through the gateway and on each backend in this process.

A private stack (as the gateway scenario's) with the catalog seeded, and an Elasticsearch node; N
listings (default 1,000,000) generated and loaded with COPY into its trading database
(search_data.py, not timed), and indexed into Elasticsearch by `python -m trading reindex` (timed
apart). Then each kind of search (search_queries.py) under the same closed-loop load, target after
target:

    gateway, PostgreSQL      GET /v1/listings over HTTP/1.1 -> gateway -> trading SearchListings -> PostgreSQL
    gateway, Elasticsearch   the same through a second gateway and a trading server with ELASTICSEARCH_URL
    PostgreSQL               PostgresSearch.search in this process, the filters parsed as the service parses them
    Elasticsearch            ElasticsearchSearch.search in this process, likewise
    PostgreSQL, no index     PostgresSearch with the search indexes dropped: a few runs one after the other

The figures (p50, p95, p99 in ms per kind and target) are printed beside the targets and written
to bench-results/search.json.
"""

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import asyncpg
import grpc
import httpx
from elasticsearch import AsyncElasticsearch
from rich.console import Console
from rich.table import Table

from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.load import Call, Result, error_kind, http_clients, machine_summary, measure
from devstack.bench.results import load_figures, tell_written, write_results
from devstack.bench.search_data import ListingGenerator, load_listings
from devstack.bench.search_queries import KINDS, QueryKind, Search, Vocabulary, over_http
from devstack.config import StackConfig
from devstack.elasticsearch import elasticsearch_node
from devstack.ports import free_port
from devstack.postgres import service_url
from devstack.services import python, service_env, start_gateway, wait_serving
from devstack.stack import Supervisor
from marketplace.trading.v1 import trading_service_pb2 as pb
from servicekit.config import PoolSettings
from servicekit.db import Database
from trading.api import search_query_from_proto
from trading.clients import Catalog
from trading.search import SearchAttribute, SearchBackend
from trading.search.elasticsearch import ElasticsearchSearch
from trading.search.postgres import PostgresSearch
from trading.service.search import search_listings

# What --targets names: PostgreSQL through the gateway and in process, the same of Elasticsearch, PostgreSQL
# without its search indexes (last: it drops them).
TARGETS = ("postgres", "elasticsearch", "noindex")
SEARCH_INDEXES = (
    "ix_listings_search_document_stored",
    "ix_title_words_word_trgm",
    "idx_listings_location",
    "ix_listings_active_category_created_at",
    "ix_listings_active_category_price",
    "ix_listing_attribute_values_number",
    "ix_listing_attribute_values_string",
    "ix_listing_attribute_values_boolean",
)
# p95 through the gateway each backend is to keep, facets of the broad search included.
GATEWAY_P95_MS = {"gateway, PostgreSQL": 100.0, "gateway, Elasticsearch": 50.0}
INDEX_ALIAS = "listings"
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
    targets: frozenset[str] = frozenset(TARGETS)


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


async def measure_gateway(
    console: Console, target: str, gateway_url: str, kinds: Sequence[QueryKind], load: Load
) -> dict[str, Result]:
    clients = http_clients(gateway_url, load.concurrency)
    try:
        return await measure_kinds(console, target, [over_http(client) for client in clients], kinds, load)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def start_elasticsearch_stack(
    console: Console, supervisor: Supervisor, stack: BenchStack, elasticsearch_url: str
) -> tuple[StackConfig, float]:
    """Indexes the listings with `python -m trading reindex`, then starts a trading server that searches
    Elasticsearch and a gateway in front of it: their config, and the seconds the reindex took."""
    config = dataclasses.replace(
        stack.config, ports={**stack.config.ports, "trading": free_port()}, gateway_port=free_port()
    )
    environment = {
        **service_env(config, stack.server, "trading", stack.keys, stack.env),
        "ELASTICSEARCH_URL": elasticsearch_url,
        "ELASTICSEARCH_INDEX": INDEX_ALIAS,
    }
    console.print("[bold]indexing the listings into Elasticsearch[/] (python -m trading reindex)")
    started = time.monotonic()
    await supervisor.run_once("trading:reindex", python("trading", "reindex"), environment)
    indexed = time.monotonic() - started
    await supervisor.start("trading (Elasticsearch)", python("trading", "serve"), environment)
    await wait_serving(supervisor, config.address("trading"), time.monotonic() + config.start_timeout)
    await start_gateway(supervisor, config, stack.env, name="gateway (Elasticsearch)")
    return config, indexed


# After a bulk load, Elasticsearch merges segments in the background for a while: a search measured
# meanwhile shares the cores with the merges, which a search measured later does not.
MERGES_SETTLE_SECONDS = 3.0
MERGES_WAIT_SECONDS = 600.0


async def merges_settled(elasticsearch_url: str) -> float:
    """Waits until the node has merged nothing for MERGES_SETTLE_SECONDS (MERGES_WAIT_SECONDS at most); the
    seconds it waited."""
    started = time.monotonic()
    quiet_since = None
    async with AsyncElasticsearch(elasticsearch_url) as client:
        while time.monotonic() - started < MERGES_WAIT_SECONDS:
            stats = await client.nodes.stats(metric="indices", index_metric="merge")
            merging = sum(node["indices"]["merges"]["current"] for node in stats["nodes"].values())
            now = time.monotonic()
            quiet_since = None if merging else (quiet_since or now)
            if quiet_since is not None and now - quiet_since >= MERGES_SETTLE_SECONDS:
                break
            await asyncio.sleep(0.5)
    return time.monotonic() - started


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
    for target, limit in GATEWAY_P95_MS.items():
        table.add_column(f"{target} p95 < {limit:g}")
    for kind in kinds:
        verdicts = []
        for target, limit in GATEWAY_P95_MS.items():
            result = results.get(target, {}).get(kind.name)
            met = result is not None and result.completed and result.percentile(0.95) < limit
            verdicts.append("-" if result is None else "[green]met[/]" if met else "[red]missed[/]")
        table.add_row(kind.name, *(cell(by_kind.get(kind.name)) for by_kind in results.values()), *verdicts)
    console.print(table)
    runs = ", ".join(f"{target} {sum(r.completed for r in by_kind.values()):,}" for target, by_kind in results.items())
    console.print(f"  runs: {runs}", soft_wrap=True)
    for kind in kinds:
        console.print(f"  {kind.name:26} {kind.about}", soft_wrap=True)
    for target, by_kind in results.items():
        for result in by_kind.values():
            for failure, count in result.failures.items():
                console.print(f"  [red]{target} {result.name}: {failure} x {count}[/]", soft_wrap=True)


def save_results(results: dict[str, dict[str, Result]], facts: dict) -> Path:
    figures = {
        target: {name: load_figures(result) for name, result in by_kind.items()} for target, by_kind in results.items()
    }
    return write_results("search", {**facts, "targets_p95_ms": GATEWAY_P95_MS, "by_target": figures})


async def _bench(server: str, elasticsearch_url: str | None, console: Console, listings: int, load: Load) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        started = time.monotonic()
        categories = await load_listings(
            stack.database_url("trading"), stack.database_url("catalog"), listings, console
        )
        loaded = time.monotonic() - started
        vocabulary = Vocabulary(ListingGenerator(categories).words, categories)
        kinds = [kind(vocabulary) for kind in KINDS]
        broad, active = await broad_share(stack, vocabulary)
        machine = machine_summary()
        console.print(
            f"{machine} Loaded {listings:,} listings in {loaded:.0f} s; {active:,} active, the broad "
            f"search matches {broad:,} ({broad / active:.0%}). {load.concurrency} concurrent clients, "
            f"{load.seconds:g} s measured after {load.warmup:g} s warm-up per search and target; "
            f"{load.slow_runs} runs one after the other without the indexes.",
            soft_wrap=True,
        )
        results: dict[str, dict[str, Result]] = {}
        if "postgres" in load.targets:
            results["gateway, PostgreSQL"] = await measure_gateway(
                console, "gateway, PostgreSQL", stack.config.gateway_url, kinds, load
            )
        indexed = None
        if elasticsearch_url is not None:
            es_config, indexed = await start_elasticsearch_stack(console, supervisor, stack, elasticsearch_url)
            console.print(f"indexed {active:,} listings in {indexed:.0f} s", soft_wrap=True)
            console.print(f"Elasticsearch's merges settled after {await merges_settled(elasticsearch_url):.0f} s")
            results["gateway, Elasticsearch"] = await measure_gateway(
                console, "gateway, Elasticsearch", es_config.gateway_url, kinds, load
            )
        supervisor.check_alive()
        pool = PoolSettings(size=load.concurrency, statement_timeout_ms=SLOW_STATEMENT_MS)
        db = Database(service_url(stack.server, stack.config.database("trading")), pool)
        elasticsearch = AsyncElasticsearch(elasticsearch_url) if elasticsearch_url is not None else None
        try:
            async with grpc.aio.insecure_channel(stack.config.address("catalog")) as channel:
                catalog = CachedCatalog(Catalog(channel, 30))
                postgres = in_process(PostgresSearch(db), catalog)
                if "postgres" in load.targets:
                    results["PostgreSQL"] = await measure_kinds(
                        console, "PostgreSQL", [postgres] * load.concurrency, kinds, load
                    )
                if elasticsearch is not None:
                    in_elasticsearch = in_process(ElasticsearchSearch(db, elasticsearch, INDEX_ALIAS), catalog)
                    results["Elasticsearch"] = await measure_kinds(
                        console, "Elasticsearch", [in_elasticsearch] * load.concurrency, kinds, load
                    )
                if "noindex" in load.targets:
                    await drop_search_indexes(stack)
                    results["PostgreSQL, no index"] = await measure_slow(
                        console, "PostgreSQL, no index", postgres, kinds, load.slow_runs
                    )
        finally:
            if elasticsearch is not None:
                await elasticsearch.close()
            await db.dispose()
        report(console, results, kinds)
        facts = {
            "listings": listings,
            "active": active,
            "broad_matches": broad,
            "load_seconds": round(loaded),
            "reindex_seconds": None if indexed is None else round(indexed),
        }
        path = save_results(results, {"machine": machine, **facts, "concurrency": load.concurrency})
        tell_written(console, path, time.monotonic() - started)
        return 0

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, asyncpg.PostgresError, RuntimeError),
        seed={"catalog": {}},
    )


def bench(
    listings: int, concurrency: int, seconds: float, warmup: float, slow_runs: int, targets: Sequence[str] = TARGETS
) -> int:
    if listings < 1 or concurrency < 1 or seconds <= 0 or warmup < 0 or slow_runs < 1:
        raise SystemExit(
            "--listings, --concurrency and --runs must be at least 1, --seconds above 0, --warmup not below 0"
        )
    unknown = set(targets) - set(TARGETS)
    if unknown or not targets:
        raise SystemExit(f"--targets takes some of {','.join(TARGETS)}, not {','.join(sorted(unknown)) or 'none'}")
    load = Load(concurrency, seconds, warmup, slow_runs, frozenset(targets))
    console = Console(highlight=False)
    # The table has eight columns: narrower, a log file would get it wrapped cell by cell.
    console.width = max(console.width, 170)
    with contextlib.ExitStack() as running:
        elasticsearch_url = None
        if "elasticsearch" in load.targets:
            console.print("[bold]starting Elasticsearch[/]")
            elasticsearch_url = running.enter_context(elasticsearch_node()).url
        return run_on_server(lambda server: _bench(server, elasticsearch_url, console, listings, load))
