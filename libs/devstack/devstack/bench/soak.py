"""Benchmark "soak": ten minutes of mixed load through the gateway, watching the errors and the memory.

A private stack with the catalog seeded, whose gateway limits sign-in only, at its default. Preparation,
not timed: generated listings to search (search_data.py; --listings, default 100,000), funded buyers
and 300 skins listed through the services by 100 sellers (purchase_setup.py), 100 conversations about
skins of other sellers (market.py), and copies of the 300 skins to buy.

Then a closed loop of N clients (--concurrency, default 16), each on a keep-alive connection of its
own, every request drawn by these weights (a marketplace is mostly looked at, and bought from least):

    browse   45%  GET /v1/games, /v1/games/{id}/categories or /v1/listings/{id}, a third each, anonymous
    search   30%  GET /v1/listings: one of the search bench's six kinds (search_queries.py), anonymous
    message  10%  POST /v1/conversations/{id}/messages by either participant of one of the conversations
    offer    10%  POST /v1/listings/{id}/offers on one of the 300 skins, at 50 to 95% of its price, open 5 minutes
    buy       5%  POST /v1/listings/{id}:buy of a copy nobody bought, with an Idempotency-Key

More copies are made in SQL (purchase_setup.copy_listings) whenever fewer are left than a minute takes
at 30 purchases a second, about the most this machine makes. Halfway through the warm-up and every
measured minute, one more client signs in 20 times in a row, as fast as it is answered (POST
/v1/sessions as one of the buyers): the gateway lets the sign-in limit's burst of 10 through,
and the odd one its bucket refills meanwhile, and refuses the rest with 429 RATE_LIMITED. Those 429s
are provoked on purpose and counted apart; any other answer than a 200 is an error.

The warm-up (--warmup, default 2 minutes) is the load itself, unmeasured, long enough for every
process to reach the memory it keeps: trading's RSS rises with the variety of searches it has
answered, and settles after a few thousand (about 2 minutes of this mix on 2 busy cores).

It prints a line per minute as it goes, then: per minute, requests/s by kind, sign-ins, 429s, errors
and each process's RSS; per kind, requests/s, p50 and p99 over the measured time; each process's RSS
after the warm-up and at the end. It fails (exit 1) on any error, the warm-up's included, when a
process's RSS grew by more than 10%, or when the ledger breaks one of its invariants after the run (the
money the purchases moved all accounted for). The figures also go to bench-results/soak.json.
"""

import asyncio
import math
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

import asyncpg
import grpc
import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from accounts.bench import PASSWORD
from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.load import Failed, Result, error_kind, expect_ok, http_clients, machine_summary
from devstack.bench.market import buy, start_conversations
from devstack.bench.memory import children_rss_mb
from devstack.bench.purchase_setup import PRICE_MINOR, bearer, copy_listings, prepare
from devstack.bench.results import load_figures, write_results
from devstack.bench.search_data import ListingGenerator, load_listings
from devstack.bench.search_queries import KINDS as SEARCH_KINDS
from devstack.bench.search_queries import QueryKind, Vocabulary, over_http
from devstack.stack import Supervisor

WEIGHTS = {"browse": 45, "search": 30, "message": 10, "offer": 10, "buy": 5}
SIGN_IN = "sign-in"
SIGN_IN_LIMIT = "20/60s;burst=10"  # the gateway's default (gateway/config.py)
SIGN_IN_BURST = 20  # twice the limit's burst, in a row
PROVOKED = "HTTP 429 RATE_LIMITED"
MINUTE = 60.0
RSS_GROWTH_LIMIT = 0.10
CONVERSATIONS = 100
BROWSED_LISTINGS = 10_000
OFFER_SECONDS = 300
RESTOCK_BELOW = 60 * 30  # a minute of purchases at 30 a second
RESTOCK_CHECK_SECONDS = 5.0
TOKEN_MARGIN = timedelta(minutes=30)  # beyond the load: tokens are minted before the last of the preparation


@dataclass(frozen=True)
class Load:
    concurrency: int
    seconds: float
    warmup: float
    buyers: int
    listings: int


@dataclass(frozen=True)
class Market:
    """What the clients act on."""

    games: list[str]
    listings: list[str]  # active listings to read
    skins: list[UUID]  # listed through the services: offered on and copied, never bought
    conversations: list[tuple[str, str, str]]  # id, buyer, seller
    tokens: dict[str, str]  # Authorization by user id, of the buyers and the conversations' participants
    buyers: list[str]
    logins: list[str]  # the buyers' usernames; their password is accounts.bench.PASSWORD
    searches: list[QueryKind]
    to_buy: deque[UUID]  # copies nobody bought yet


class Shopper:
    """One client of the loop: its connection, its own draws, and where its deep-pages search is."""

    def __init__(self, client: httpx.AsyncClient, market: Market, seed: int) -> None:
        self.client, self.market, self.rng = client, market, random.Random(seed)
        self.searches = [kind.call(over_http(client), self.rng) for kind in market.searches]
        self.actions: dict[str, Callable[[], Awaitable[None]]] = {
            "browse": self.browse,
            "search": self.search,
            "message": self.message,
            "offer": self.offer,
            "buy": self.buy,
        }

    def next_kind(self) -> str:
        return self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]

    async def browse(self) -> None:
        market, rng = self.market, self.rng
        paths = ("/v1/games", f"/v1/games/{rng.choice(market.games)}/categories")
        path = rng.choice((*paths, f"/v1/listings/{rng.choice(market.listings)}"))
        expect_ok(await self.client.get(path))

    async def search(self) -> None:
        await self.rng.choice(self.searches)()

    async def message(self) -> None:
        conversation_id, *participants = self.rng.choice(self.market.conversations)
        body = {"text": f"is it still available? {self.rng.random():.6f}"}
        headers = {"authorization": self.market.tokens[self.rng.choice(participants)]}
        expect_ok(await self.client.post(f"/v1/conversations/{conversation_id}/messages", json=body, headers=headers))

    async def offer(self) -> None:
        amount = self.rng.randint(PRICE_MINOR // 2, PRICE_MINOR * 95 // 100)
        body = {"amount": {"currency": "USD", "amount_minor": amount}, "expires_in": OFFER_SECONDS}
        headers = {"authorization": self.buyer(), "idempotency-key": uuid.uuid4().hex}
        listing_id = self.rng.choice(self.market.skins)
        expect_ok(await self.client.post(f"/v1/listings/{listing_id}/offers", json=body, headers=headers))

    async def buy(self) -> None:
        if not self.market.to_buy:
            raise Failed("out of copies to buy: restocking fell behind")
        await buy(self.client, self.market.to_buy.popleft(), self.buyer())

    def buyer(self) -> str:
        return self.market.tokens[self.rng.choice(self.market.buyers)]


@dataclass
class Period:
    """What one minute of the soak, or its warm-up, saw; a request counts in the period it ended in."""

    name: str
    started: float
    ended: float = math.nan
    completed: Counter[str] = field(default_factory=Counter)  # by kind
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)  # by kind and what went wrong
    limited: int = 0  # the 429s the sign-ins provoked
    rss_mb: dict[str, float] = field(default_factory=dict)  # at its end

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def errors(self) -> int:
        return self.failures.total()


class Log:
    """Every request's outcome, in the period under way when it ended; the measured latencies by kind."""

    def __init__(self) -> None:
        self.periods = [Period("warm-up", time.perf_counter())]
        self.latencies: dict[str, list[float]] = {kind: [] for kind in WEIGHTS}

    async def timed(self, kind: str, call: Callable[[], Awaitable[None]]) -> None:
        sent = time.perf_counter()
        try:
            await call()
        except Exception as error:
            failure, period = error_kind(error), self.periods[-1]
            if kind == SIGN_IN and failure == PROVOKED:
                period.limited += 1
            else:
                period.failures[kind, failure] += 1
            return
        self.periods[-1].completed[kind] += 1
        if kind in self.latencies and len(self.periods) > 1:
            self.latencies[kind].append(time.perf_counter() - sent)

    def turn(self, rss_mb: dict[str, float], name: str | None) -> Period:
        """Ends the period under way with the RSS at its end and starts the next, if named; the one ended."""
        ended = self.periods[-1]
        ended.ended, ended.rss_mb = time.perf_counter(), rss_mb
        if name is not None:
            self.periods.append(Period(name, ended.ended))
        return ended

    @property
    def measured(self) -> list[Period]:
        return self.periods[1:]

    def results(self) -> dict[str, Result]:
        """Each kind over the measured periods."""
        seconds = sum(period.seconds for period in self.measured)
        results = {}
        for kind, latencies in self.latencies.items():
            failures: Counter[str] = Counter()
            for period in self.measured:
                failures.update({what: count for (of, what), count in period.failures.items() if of == kind})
            results[kind] = Result(kind, len(latencies), failures.total(), seconds, sorted(latencies), dict(failures))
        return results

    def rss_growth(self) -> dict[str, tuple[float, float, float]]:
        """Each process's RSS in MiB after the warm-up and at the end, and the growth between as a fraction."""
        start, end = self.periods[0].rss_mb, self.periods[-1].rss_mb
        return {name: (start[name], end[name], end[name] / start[name] - 1) for name in start}


def minute_lengths(seconds: float) -> list[float]:
    """The measured time as minutes, the last one shorter when they do not divide it."""
    whole, rest = divmod(seconds, MINUTE)
    return [MINUTE] * int(whole) + ([rest] if rest > 0 else [])


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))


async def sign_in_burst(client: httpx.AsyncClient, log: Log, login: str) -> None:
    """SIGN_IN_BURST sign-ins of one buyer in a row, as an app that signs in again and again would send them."""

    async def sign_in() -> None:
        expect_ok(await client.post("/v1/sessions", json={"login": login, "password": PASSWORD}))

    for _ in range(SIGN_IN_BURST):
        await log.timed(SIGN_IN, sign_in)


async def keep_stocked(stack: BenchStack, market: Market) -> None:
    """Copies more skins to buy whenever fewer than RESTOCK_BELOW are left."""
    progress = Progress(disable=True)
    while True:
        if len(market.to_buy) < RESTOCK_BELOW:
            market.to_buy.extend(await copy_listings(stack, market.skins, 2 * RESTOCK_BELOW, progress))
        await asyncio.sleep(RESTOCK_CHECK_SECONDS)


def minute_line(period: Period) -> str:
    total = sum(period.completed[kind] for kind in WEIGHTS) / period.seconds
    kinds = ", ".join(f"{kind} {period.completed[kind] / period.seconds:.0f}" for kind in WEIGHTS)
    memory = ", ".join(f"{name} {megabytes:.0f}" for name, megabytes in period.rss_mb.items())
    return (
        f"{period.name}: {total:.0f} requests/s ({kinds}), {period.completed[SIGN_IN]} sign-ins, "
        f"{period.limited} x 429, {period.errors} errors; RSS MB {memory}"
    )


async def run_load(supervisor: Supervisor, stack: BenchStack, market: Market, console: Console, load: Load) -> Log:
    log = Log()
    clients = http_clients(stack.config.gateway_url, load.concurrency)
    shoppers = [Shopper(client, market, seed) for seed, client in enumerate(clients)]
    stopping = asyncio.Event()
    rng = random.Random("sign-in")

    async def shop(shopper: Shopper) -> None:
        while not stopping.is_set():
            kind = shopper.next_kind()
            await log.timed(kind, shopper.actions[kind])

    shopping = [asyncio.create_task(shop(shopper)) for shopper in shoppers]
    restocking = asyncio.create_task(keep_stocked(stack, market))
    try:
        async with httpx.AsyncClient(base_url=stack.config.gateway_url, timeout=30) as signing_in:
            periods, moment = [load.warmup, *minute_lengths(load.seconds)], log.periods[0].started
            for number, length in enumerate(periods):
                await sleep_until(moment + length / 2)
                await sign_in_burst(signing_in, log, rng.choice(market.logins))
                moment += length
                await sleep_until(moment)
                if number + 1 < len(periods):
                    ended = log.turn(children_rss_mb(supervisor), f"minute {number + 1}")
                    console.print(minute_line(ended), soft_wrap=True)
                supervisor.check_alive()
                if restocking.done():
                    restocking.result()  # raises what stopped it
        stopping.set()
        await asyncio.gather(*shopping)
        console.print(minute_line(log.turn(children_rss_mb(supervisor), None)), soft_wrap=True)
        return log
    finally:
        for task in (*shopping, restocking):
            task.cancel()
        await asyncio.gather(*shopping, restocking, return_exceptions=True)
        await asyncio.gather(*(client.aclose() for client in clients))


async def open_market(stack: BenchStack, console: Console, load: Load) -> Market:
    trading_url = stack.database_url("trading")
    categories = await load_listings(trading_url, stack.database_url("catalog"), load.listings, console)
    buyers, _, skins = await prepare(stack, console, load.buyers, 0)  # 0: only the skins listed through the services
    conversations = await start_conversations(stack, CONVERSATIONS, console)
    ttl = timedelta(seconds=load.warmup + load.seconds) + TOKEN_MARGIN
    users = [*buyers, *(UUID(user) for _, *participants in conversations for user in participants)]
    tokens = {str(user): bearer(stack, user, ttl) for user in users}
    accounts = await asyncpg.connect(stack.database_url("accounts"))
    try:
        logins = await accounts.fetch("SELECT username FROM users WHERE id = ANY($1::uuid[])", buyers)
    finally:
        await accounts.close()
    trading = await asyncpg.connect(trading_url)
    try:
        listings = await trading.fetch(
            "SELECT id FROM listings WHERE status = 'active' ORDER BY random() LIMIT $1", BROWSED_LISTINGS
        )
    finally:
        await trading.close()
    with Progress(console=console) as progress:
        to_buy = deque(await copy_listings(stack, skins, 2 * RESTOCK_BELOW, progress))
    vocabulary = Vocabulary(ListingGenerator(categories).words, categories)
    return Market(
        games=sorted({str(category.game_id) for category in categories}),
        listings=[str(row["id"]) for row in listings],
        skins=skins,
        conversations=conversations,
        tokens=tokens,
        buyers=[str(buyer) for buyer in buyers],
        logins=[row["username"] for row in logins],
        searches=[kind(vocabulary) for kind in SEARCH_KINDS],
        to_buy=to_buy,
    )


def report(console: Console, log: Log, load: Load, ledger: dict[str, list]) -> bool:
    """Prints the tables and writes the figures, with what broke the ledger's invariants (`ledger`); whether the
    soak passed."""
    processes = list(log.periods[0].rss_mb)
    table = Table(title="per minute (a request counts in the minute it ended in)")
    columns = ("period", *(f"{kind}/s" for kind in WEIGHTS), "sign-ins", "429", "errors")
    for column in (*columns, *(f"{name} MB" for name in processes)):
        table.add_column(column, justify="left" if column == "period" else "right")
    for period in log.periods:
        rates = (f"{period.completed[kind] / period.seconds:.1f}" for kind in WEIGHTS)
        memory = (f"{period.rss_mb[name]:.0f}" for name in processes)
        counts = (str(period.completed[SIGN_IN]), str(period.limited), str(period.errors))
        table.add_row(period.name, *rates, *counts, *memory)
    console.print(table)
    results = log.results()
    table = Table(title="per kind, over the measured time")
    for column in ("kind", "share", "requests/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, result in results.items():
        row = (f"{result.rate:.1f}", f"{result.p50:.0f}", f"{result.p99:.0f}", str(result.errors))
        table.add_row(kind, f"{WEIGHTS[kind]}%", *row)
    console.print(table)
    growth = log.rss_growth()
    table = Table(title=f"RSS, MiB: after the warm-up and at the end (limit: +{RSS_GROWTH_LIMIT:.0%})")
    for column in ("process", "start", "end", "growth"):
        table.add_column(column, justify="left" if column == "process" else "right")
    for name, (start, end, grown) in growth.items():
        style = "red" if grown > RSS_GROWTH_LIMIT else "green"
        table.add_row(name, f"{start:.0f}", f"{end:.0f}", f"[{style}]{grown:+.1%}[/]")
    console.print(table)
    errors = sum(period.errors for period in log.periods)
    for period in log.periods:
        for (kind, what), count in period.failures.most_common():
            console.print(f"  [red]{period.name}, {kind}: {what} x {count}[/]", soft_wrap=True)
    limited = sum(period.limited for period in log.periods)
    console.print(f"429s provoked on purpose (sign-in bursts): {limited}", soft_wrap=True)
    grown = [name for name, (_, _, fraction) in growth.items() if fraction > RSS_GROWTH_LIMIT]
    for invariant, rows in ledger.items():
        console.print(f"  [red]the ledger: {invariant}: {rows[:5]}[/]", soft_wrap=True)
    passed = not errors and not grown and not ledger
    figures = {
        "concurrency": load.concurrency,
        "warmup_seconds": load.warmup,
        "seconds": load.seconds,
        "listings": load.listings,
        "weights": WEIGHTS,
        "errors": errors,
        "rate_limited": limited,
        "ledger_violations": sorted(ledger),
        "passed": passed,
        "periods": [
            {
                "name": period.name,
                "seconds": period.seconds,
                "per_second": {kind: period.completed[kind] / period.seconds for kind in WEIGHTS},
                "signed_in": period.completed[SIGN_IN],
                "rate_limited": period.limited,
                "failures": {f"{kind}: {what}": count for (kind, what), count in period.failures.items()},
                "rss_mb": period.rss_mb,
            }
            for period in log.periods
        ],
        "by_kind": {kind: load_figures(result) for kind, result in results.items()},
        "rss_mb": {
            name: {"start": start, "end": end, "growth": fraction} for name, (start, end, fraction) in growth.items()
        },
    }
    write_results("soak", figures, {f"{name} RSS end/start": 1 + fraction for name, (_, _, fraction) in growth.items()})
    if passed:
        console.print(
            "soak [green]passed[/]: no errors but the 429s provoked, no RSS grew past the limit, the ledger's "
            "invariants hold"
        )
    else:
        console.print(
            f"soak [red]FAILED[/]: {errors} errors; RSS grown past the limit: {', '.join(grown) or 'none'}; "
            f"the ledger: {', '.join(ledger) or 'sound'}"
        )
    return passed


async def _bench(server: str, console: Console, load: Load) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        market = await open_market(stack, console, load)
        console.print(
            f"{machine_summary()} {load.concurrency} concurrent clients, {load.seconds:g} s measured after "
            f"{load.warmup:g} s warm-up; {load.listings:,} generated listings, {len(market.skins)} skins, "
            f"{load.buyers:,} buyers, {len(market.conversations)} conversations. The load generator (one asyncio "
            "process) shares the cores with the stack and PostgreSQL.",
            soft_wrap=True,
        )
        console.print(f"[bold]soaking[/] for {load.warmup + load.seconds:g} s")
        log = await run_load(supervisor, stack, market, console, load)
        supervisor.check_alive()
        return 0 if report(console, log, load, await stack.ledger_violations()) else 1

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, asyncpg.PostgresError, RuntimeError, Failed),
        seed={"catalog": {}},
        rate_limits={"SIGN_IN": SIGN_IN_LIMIT},
    )


def bench(concurrency: int, seconds: float, warmup: float, buyers: int, listings: int) -> int:
    if min(concurrency, buyers, listings) < 1 or seconds <= 0 or warmup < 0:
        raise SystemExit(
            "--concurrency, --buyers and --listings must be at least 1, --seconds above 0, --warmup not below 0"
        )
    console = Console(highlight=False)
    # The per-minute table has a column per kind and per process: narrower, a log file would get it wrapped.
    console.width = max(console.width, 170)
    load = Load(concurrency, seconds, warmup, buyers, listings)
    return run_on_server(lambda server: _bench(server, console, load))
