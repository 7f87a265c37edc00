"""Benchmark "gateway": what the HTTP/JSON gateway costs in front of a gRPC service.

A private stack (databases bench_<context>, dropped at the end; free ports; its own keys)
with one game, then three targets under the same closed-loop load, one after the other:

    gateway   GET /v1/games/{id} over HTTP/1.1 -> gateway -> catalog GetGame -> PostgreSQL
    direct    catalog GetGame over gRPC                   -> catalog         -> PostgreSQL
    ceiling   GET /echo over HTTP/1.1 -> bare Starlette -> grpc.aio Health.Check (no database)

The load generator is this process; every server is a child process. Servers log at WARNING
(one log line per request would otherwise be part of what is measured).
"""

import asyncio
import os
import time
import uuid

import grpc
import httpx
from rich.console import Console
from rich.table import Table

from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.cpu import IDLE_SECONDS, Costed, costed, cpu_table, postgres_pid
from devstack.bench.load import Call, Result, http_clients, machine_summary, measure
from devstack.bench.results import load_figures, write_results
from devstack.config import StackConfig
from devstack.ports import free_port
from devstack.services import python, wait_http_ok, wait_serving
from devstack.stack import Supervisor
from marketplace.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from servicekit.auth import Role


async def create_game(gateway_url: str, token: str) -> str:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
        reply = await client.post(
            "/v1/games",
            json={"name": f"Bench game {uuid.uuid4().hex[:8]}", "description": "Made by make bench."},
            headers={"authorization": f"Bearer {token}"},
        )
        reply.raise_for_status()
        return reply.json()["id"]


def get_calls(clients: list[httpx.AsyncClient], path: str) -> list[Call]:
    def call_of(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            (await client.get(path)).raise_for_status()

        return call

    return [call_of(client) for client in clients]


async def measure_http(name: str, base_url: str, path: str, concurrency: int, seconds: float, warmup: float) -> Result:
    clients = http_clients(base_url, concurrency)
    calls = get_calls(clients, path)
    try:
        await asyncio.gather(*(call() for call in calls))  # connect every client, check the answer
        return await measure(name, calls, seconds=seconds, warmup=warmup)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def measure_grpc(
    name: str, address: str, game_id: str, concurrency: int, seconds: float, warmup: float
) -> Result:
    """The same number of concurrent callers on one channel, as the gateway itself calls the catalog."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        request = catalog_service_pb2.GetGameRequest(game_id=game_id)

        async def call() -> None:
            await stub.GetGame(request, timeout=30)

        await call()
        return await measure(name, [call] * concurrency, seconds=seconds, warmup=warmup)


async def run_targets(
    config: StackConfig,
    processes: dict[str, int],
    game_id: str,
    ceiling_url: str,
    concurrency: int,
    seconds: float,
    warmup: float,
) -> dict[str, Costed]:
    """Each target, with the CPU each process spent per request on it."""
    gateway = measure_http("gateway", config.gateway_url, f"/v1/games/{game_id}", concurrency, seconds, warmup)
    direct = measure_grpc("direct", config.address("catalog"), game_id, concurrency, seconds, warmup)
    ceiling = measure_http("ceiling", ceiling_url, "/echo", concurrency, seconds, warmup)
    served = {name: processes[name] for name in ("gateway", "catalog", "PostgreSQL") if name in processes}
    return {
        "gateway": await costed(served, gateway),
        "direct": await costed({name: pid for name, pid in served.items() if name != "gateway"}, direct),
        "ceiling": await costed({name: processes[name] for name in ("ceiling", "echo")}, ceiling),
    }


TARGETS = {
    "gateway": "HTTP GET /v1/games/{id} -> gateway -> catalog GetGame (gRPC) -> PostgreSQL",
    "direct": "gRPC GetGame -> catalog -> PostgreSQL",
    "ceiling": "HTTP GET /echo -> bare Starlette -> gRPC Health.Check (no database)",
}


def report(console: Console, costs: dict[str, Costed], concurrency: int, seconds: float, warmup: float) -> None:
    results = [costed.result for costed in costs.values()]
    by_name = {result.name: result for result in results}
    console.print(f"[bold]{concurrency} concurrent clients, {seconds:g} s measured after {warmup:g} s warm-up[/]")
    table = Table()
    for column in ("target", "requests/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for result in results:
        table.add_row(result.name, f"{result.rate:,.0f}", f"{result.p50:.1f}", f"{result.p99:.1f}", str(result.errors))
    console.print(table)
    for name, path in TARGETS.items():
        console.print(f"  {name:8} {path}", soft_wrap=True)
    found = ratios(by_name)
    for other in ("direct", "ceiling"):
        console.print(
            f"gateway/{other}: requests/s {found[f'gateway/{other} requests/s']:.2f}x, "
            f"p50 {found[f'gateway/{other} p50']:.2f}x, p99 {found[f'gateway/{other} p99']:.2f}x",
            soft_wrap=True,
        )
    console.print(cpu_table("request", costs))
    figures = {
        name: {**load_figures(costed.result), "cpu_ms_per_request": costed.cpu_ms} for name, costed in costs.items()
    }
    write_results("gateway", figures, found)


def ratios(by_name: dict[str, Result]) -> dict[str, float]:
    gateway = by_name["gateway"]
    found = {}
    for other in ("direct", "ceiling"):
        base = by_name[other]
        found[f"gateway/{other} requests/s"] = gateway.rate / base.rate
        found[f"gateway/{other} p50"] = gateway.p50 / base.p50
        found[f"gateway/{other} p99"] = gateway.p99 / base.p99
    return found


def describe_machine(console: Console) -> None:
    console.print(
        f"{machine_summary()}\n"
        f"The load generator (one asyncio process: httpx HTTP/1.1, one keep-alive connection per client; one grpc.aio channel) runs apart from "
        f"the servers but shares the {os.cpu_count()} cores with them and with PostgreSQL, so the figures are "
        "relative: compare the rows, not the absolute numbers, with another machine's.",
        soft_wrap=True,
    )


async def _bench(server: str, console: Console, concurrency: int, seconds: float, warmup: float) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        console.print("[bold]starting the ceiling[/]")
        started = time.monotonic()
        echo_port, ceiling_port = free_port(), free_port()
        await supervisor.start("echo", python("devstack.bench.echo", "grpc", str(echo_port)), stack.env)
        await supervisor.start(
            "ceiling",
            python("devstack.bench.echo", "http", str(ceiling_port), f"127.0.0.1:{echo_port}"),
            stack.env,
        )
        deadline = time.monotonic() + stack.config.start_timeout
        await wait_serving(supervisor, f"127.0.0.1:{echo_port}", deadline)
        ceiling_url = f"http://127.0.0.1:{ceiling_port}"
        await wait_http_ok(supervisor, f"{ceiling_url}/echo", deadline)
        console.print(f"up in {time.monotonic() - started:.0f} s")
        game_id = await create_game(stack.config.gateway_url, stack.keys.token(uuid.uuid4(), Role.ADMIN))
        describe_machine(console)
        duration = 3 * (seconds + warmup + IDLE_SECONDS)
        console.print(f"[bold]measuring[/] gateway, direct, ceiling: about {duration:.0f} s")
        processes = {child.name: child.pid for child in supervisor.children}
        if (postmaster := await postgres_pid(stack.database_url("catalog"))) is not None:
            processes["PostgreSQL"] = postmaster
        costs = await run_targets(stack.config, processes, game_id, ceiling_url, concurrency, seconds, warmup)
        supervisor.check_alive()
        report(console, costs, concurrency, seconds, warmup)
        return 0

    return await in_bench_stack(console, server, run, failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError))


def bench(concurrency: int = 32, seconds: float = 10.0, warmup: float = 2.0) -> int:
    if concurrency < 1 or seconds <= 0 or warmup < 0:
        raise SystemExit("--concurrency must be at least 1, --seconds above 0, --warmup not below 0")
    console = Console(highlight=False)
    return run_on_server(lambda server: _bench(server, console, concurrency, seconds, warmup))
