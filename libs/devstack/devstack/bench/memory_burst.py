"""Benchmark "memory": the resident memory of every process of the stack, idle and after bursts of calls.

A private stack, with the catalog seeded. Each process's RSS is read once it serves (idle); then, after
writing users with a password (straight to accounts' database) and starting conversations about listed
skins (messaging.py's preparation), one burst after the other through the gateway, N closed-loop
clients each, for the same time:

    sign-ins    POST /v1/sessions with a user's password: argon2id in accounts, the heavy one
    reads       GET of games, a game's categories, listings, the caller's user and conversations
    searches    GET /v1/listings by word, game, price range, sort
    listings    POST /v1/items then POST /v1/listings of that item
    messages    POST /v1/conversations/{id}/messages by either participant

RSS is read after each burst, sampled during it (the peak), and read again after a settle. The figures
are printed against the target and written to bench-results/memory.json.
"""

import asyncio
import math
import random
import time
from collections.abc import Callable, Sequence
from uuid import UUID

import grpc
import httpx
from rich.console import Console
from rich.table import Table

from accounts.bench import PASSWORD, create_users
from catalog.bench import exterior_of
from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.load import Call, Result, http_clients, machine_summary, measure
from devstack.bench.memory import children_rss_mb
from devstack.bench.messaging import start_conversations
from devstack.bench.purchase_setup import bearer, skin_templates
from devstack.bench.results import load_figures, tell_written, write_results
from devstack.stack import Supervisor
from servicekit.config import CONTEXTS

PROCESSES = (*CONTEXTS, "gateway")
TARGET_MB = 120.0
USERS = 200  # who signs in
PAIRS = 32  # conversations, and sellers with LISTED_PER_SELLER skins each
SAMPLE_SECONDS = 0.25
SETTLE_SECONDS = 10.0
WORDS = ("AK-47", "Redline", "Asiimov", "AWP", "Karambit", "gloves")
# (path, query) of a call: a request's parts that the burst draws at random.
Request = tuple[str, dict[str, str]]


def sign_in(emails: Sequence[str]) -> Callable[[httpx.AsyncClient], Call]:
    def make(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            body = {"login": random.choice(emails), "password": PASSWORD}
            (await client.post("/v1/sessions", json=body)).raise_for_status()

        return call

    return make


def get(requests: Callable[[], Request], tokens: Sequence[str]) -> Callable[[httpx.AsyncClient], Call]:
    """GETs of the requests drawn, each as a random one of the users."""

    def make(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            path, query = requests()
            headers = {"authorization": random.choice(tokens)}
            (await client.get(path, params=query, headers=headers)).raise_for_status()

        return call

    return make


def create_listing(templates: Sequence[UUID], tokens: Sequence[str]) -> Callable[[httpx.AsyncClient], Call]:
    def make(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            headers = {"authorization": random.choice(tokens)}
            wear = random.random()
            body = {
                "template_id": str(random.choice(templates)),
                "attributes": {"wear": wear, "exterior": exterior_of(wear)},
            }
            item = (await client.post("/v1/items", json=body, headers=headers)).raise_for_status().json()
            listing = {"item_id": item["id"], "price": {"currency": "USD", "amount_minor": random.randint(100, 99_999)}}
            (await client.post("/v1/listings", json=listing, headers=headers)).raise_for_status()

        return call

    return make


def send_message(
    stack: BenchStack, conversations: Sequence[tuple[str, str, str]]
) -> Callable[[httpx.AsyncClient], Call]:
    def make(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            conversation_id, *participants = random.choice(conversations)
            headers = {"authorization": bearer(stack, UUID(random.choice(participants)))}
            body = {"text": f"is it still available? {random.random():.6f}"}
            response = await client.post(f"/v1/conversations/{conversation_id}/messages", json=body, headers=headers)
            response.raise_for_status()

        return call

    return make


class Peaks:
    """The highest RSS of each process seen while sampling."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.seen: dict[str, float] = {}

    def read(self) -> dict[str, float]:
        found = children_rss_mb(self.supervisor)
        for name, megabytes in found.items():
            if not math.isnan(megabytes):
                self.seen[name] = max(self.seen.get(name, 0.0), megabytes)
        return found

    async def sample(self, done: asyncio.Event) -> None:
        while not done.is_set():
            self.read()
            await asyncio.sleep(SAMPLE_SECONDS)


async def burst(
    name: str,
    stack: BenchStack,
    peaks: Peaks,
    make: Callable[[httpx.AsyncClient], Call],
    concurrency: int,
    seconds: float,
    warmup: float,
) -> Result:
    clients = http_clients(stack.config.gateway_url, concurrency)
    done = asyncio.Event()
    sampler = asyncio.create_task(peaks.sample(done))
    try:
        return await measure(name, [make(client) for client in clients], seconds=seconds, warmup=warmup)
    finally:
        done.set()
        await sampler
        await asyncio.gather(*(client.aclose() for client in clients))


async def listings_and_game(stack: BenchStack) -> tuple[list[str], str]:
    """Ids of listings on sale, and of a game."""
    async with httpx.AsyncClient(base_url=stack.config.gateway_url, timeout=30) as client:
        listings = (await client.get("/v1/listings", params={"page_size": "100"})).raise_for_status().json()
        games = (await client.get("/v1/games")).raise_for_status().json()
    return [listing["id"] for listing in listings["listings"]], games["games"][0]["id"]


def highest(moments: dict[str, dict[str, float]]) -> float:
    return max(megabytes for figures in moments.values() for megabytes in figures.values())


def report(console: Console, moments: dict[str, dict[str, float]], peaks: dict[str, float], results: list[Result]):
    def cell(megabytes: float) -> str:
        return f"[red]{megabytes:.0f}[/]" if megabytes >= TARGET_MB else f"{megabytes:.0f}"

    table = Table(title=f"RSS MB of each process (target under {TARGET_MB:g})")
    table.add_column("when")
    for process in PROCESSES:
        table.add_column(process, justify="right")
    for moment, figures in (*moments.items(), ("peak", peaks)):
        table.add_row(moment, *(cell(figures.get(process, math.nan)) for process in PROCESSES))
    console.print(table)
    bursts = Table(title="the bursts")
    for column in ("burst", "requests/s", "p50 ms", "p99 ms", "errors"):
        bursts.add_column(column, justify="left" if column == "burst" else "right")
    for result in results:
        bursts.add_row(result.name, f"{result.rate:.0f}", f"{result.p50:.0f}", f"{result.p99:.0f}", str(result.errors))
    console.print(bursts)
    for result in results:
        for kind, count in result.failures.items():
            console.print(f"  {result.name}: {kind} x {count}", soft_wrap=True)
    console.print(f"highest RSS idle or after a burst {highest(moments):.0f} MB (target under {TARGET_MB:g} MB)")


async def _bench(server: str, console: Console, concurrency: int, seconds: float, warmup: float) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        started = time.monotonic()
        console.print(machine_summary())
        peaks = Peaks(supervisor)
        moments = {"idle": peaks.read()}
        console.print("[bold]preparing[/]: users with a password, listed skins, conversations (not measured)")
        users = await create_users(stack.database_url("accounts"), USERS)
        emails = [f"bench-{user.hex[:12]}@example.com" for user in users]
        conversations = await start_conversations(stack, PAIRS, console)
        (listings, game_id), templates = await listings_and_game(stack), await skin_templates(stack)
        tokens = [bearer(stack, user) for user in users]
        sellers = [bearer(stack, UUID(seller)) for _, _, seller in conversations]

        def reads() -> Request:
            return random.choice(
                (
                    ("/v1/games", {}),
                    (f"/v1/games/{game_id}/categories", {}),
                    (f"/v1/listings/{random.choice(listings)}", {}),
                    ("/v1/users/me", {}),
                    ("/v1/conversations", {}),
                )
            )

        def searches() -> Request:
            query = random.choice(
                (
                    {"q": random.choice(WORDS)},
                    {"game_id": game_id, "sort": "LISTING_SORT_PRICE_ASC"},
                    {"q": random.choice(WORDS), "min_price": "500", "max_price": "50000", "currency": "USD"},
                    {"sort": "LISTING_SORT_NEWEST", "page_size": "50"},
                )
            )
            return "/v1/listings", query

        plan = {
            "sign-ins": sign_in(emails),
            "reads": get(reads, tokens),
            "searches": get(searches, tokens),
            "listings": create_listing(templates, sellers),
            "messages": send_message(stack, conversations),
        }
        results = []
        for name, make in plan.items():
            console.print(f"[bold]{name}[/]: {concurrency} clients, {warmup + seconds:g} s")
            results.append(await burst(name, stack, peaks, make, concurrency, seconds, warmup))
            supervisor.check_alive()
            moments[f"after {name}"] = peaks.read()
        console.print(f"[bold]settling[/] {SETTLE_SECONDS:g} s")
        await asyncio.sleep(SETTLE_SECONDS)
        moments[f"settled {SETTLE_SECONDS:g} s"] = peaks.read()
        report(console, moments, peaks.seen, results)
        figures = {
            "rss_mb": {
                process: {moment: values.get(process) for moment, values in moments.items()}
                | {"peak": peaks.seen.get(process)}
                for process in PROCESSES
            },
            "bursts": {result.name: load_figures(result) for result in results},
            "concurrency": concurrency,
            "seconds": seconds,
            "targets": {"rss_mb": TARGET_MB},
        }
        path = write_results("memory", figures, {"highest RSS / target": round(highest(moments) / TARGET_MB, 3)})
        tell_written(console, path, time.monotonic() - started)
        return 0

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, RuntimeError, OSError),
        seed={"catalog": {}},
    )


def bench(concurrency: int, seconds: float, warmup: float) -> int:
    if concurrency < 1 or seconds <= 0 or warmup < 0:
        raise SystemExit("--concurrency must be at least 1, --seconds above 0, --warmup not below 0")
    console = Console(highlight=False)
    return run_on_server(lambda server: _bench(server, console, concurrency, seconds, warmup))
