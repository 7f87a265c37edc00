"""`python -m devstack run` (make run) and `python -m devstack migrate` (make migrate).

run: find PostgreSQL, create the four databases, make the token keys once, migrate and
seed, start the four services, seed what acts through them (trading's demo market), start
the gateway, wait until all are healthy, print where they are, and stop every child on
Ctrl-C or SIGTERM, or as soon as one of them dies.
SEARCH=elasticsearch (`make run SEARCH=elasticsearch`) also starts an Elasticsearch node
for the run and gives the services its ELASTICSEARCH_URL.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from devstack.config import StackConfig
from devstack.elasticsearch import elasticsearch_node
from devstack.keys import admin_password, ensure_keys
from devstack.paths import ROOT
from devstack.postgres import postgres_server
from devstack.services import (
    base_env,
    check_ports_free,
    create_databases,
    migrate_all,
    seed_with_services,
    start_gateway,
    start_services,
)
from devstack.stack import ChildFailed, Supervisor, install_stop_handlers
from servicekit.config import CONTEXTS, SEEDS_AFTER_START


def _grpcurl() -> str:
    local = ROOT / ".venv" / "bin" / "grpcurl"
    return str(local.relative_to(ROOT)) if local.exists() else "grpcurl"


def summary(config: StackConfig, password: str, elapsed: float) -> Panel:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("gateway", config.gateway_url)
    table.add_row("API docs", f"{config.gateway_url}/docs")
    for context in CONTEXTS:
        table.add_row(context, f"{config.address(context)} (gRPC)")
    table.add_row("admin", config.admin_email)
    table.add_row("password", password)
    return Panel(table, title=f"[bold green]up in {elapsed:.0f} s[/]", subtitle="Ctrl-C stops all", expand=False)


def examples(config: StackConfig, password: str) -> list[str]:
    grpcurl, catalog = _grpcurl(), config.address("catalog")
    login = json.dumps({"login": config.admin_email, "password": password})
    return [
        f"curl -s {config.gateway_url}/v1/games",
        f"curl -s {config.gateway_url}/v1/sessions -H 'content-type: application/json' -d '{login}'",
        f"{grpcurl} -plaintext {catalog} list",
        f"{grpcurl} -plaintext {catalog} marketplace.catalog.v1.CatalogService/ListGames",
        f"{grpcurl} -plaintext {catalog} grpc.health.v1.Health/Check",
    ]


def print_summary(console: Console, config: StackConfig, password: str, elapsed: float) -> None:
    console.print(summary(config, password, elapsed))
    console.print("[bold]try[/]")
    for line in examples(config, password):
        console.print(Text(f"  {line}"), soft_wrap=True)


@contextlib.contextmanager
def search_backend(console: Console, search: str) -> Iterator[dict[str, str]]:
    """What the services' environment gains for the search backend chosen by SEARCH."""
    if search != "elasticsearch":
        yield {}
        return
    console.print("[bold]starting Elasticsearch[/]")
    with elasticsearch_node() as node:
        console.print(f"Elasticsearch: {node.url}")
        yield {"ELASTICSEARCH_URL": node.url}


async def _run(config: StackConfig, server: str, console: Console, search_env: dict[str, str]) -> int:
    started = time.monotonic()
    supervisor = Supervisor(console)
    install_stop_handlers(supervisor)
    env = base_env(search_env)
    keys = ensure_keys(config.key_dir)
    password = admin_password(config.state_dir, env)
    # Every service seeds through its own command; accounts makes the admin. A seed that calls the
    # services waits until they serve; the gateway opens once everything is seeded.
    seeds = {context: {} for context in CONTEXTS if context not in SEEDS_AFTER_START} | {
        "accounts": {"ADMIN_EMAIL": config.admin_email, "ADMIN_PASSWORD": password}
    }
    try:
        try:
            await create_databases(server, config)
            console.print("[bold]migrating and seeding[/]")
            await migrate_all(supervisor, server, config, env, seed=seeds)
            console.print("[bold]starting the services[/]")
            await start_services(supervisor, server, config, keys, env)
            console.print("[bold]seeding what needs the services[/]")
            await seed_with_services(supervisor, server, config, keys, env, SEEDS_AFTER_START)
            console.print("[bold]starting the gateway[/]")
            await start_gateway(supervisor, config, env)
            print_summary(console, config, password, time.monotonic() - started)
            child = await supervisor.first_exit()
            raise ChildFailed(child)
        except ChildFailed as failure:
            supervisor.report_failure(failure.child)
            return 1
        except TimeoutError as error:
            console.print(f"[bold red]{error}[/]")
            return 1
    except asyncio.CancelledError:
        return 0
    finally:
        await supervisor.stop_all()
        console.print("[bold]stopped[/]")


def run() -> int:
    console = Console(highlight=False)
    config = StackConfig.from_env()
    check_ports_free(config)
    console.print("[bold]finding PostgreSQL[/]")
    with postgres_server() as server:
        console.print(f"PostgreSQL: {server}")
        try:
            with search_backend(console, config.search) as search_env:
                return asyncio.run(_run(config, server, console, search_env))
        except KeyboardInterrupt:
            return 130


def migrate() -> int:
    console = Console(highlight=False)
    config = StackConfig.from_env()

    async def go(server: str) -> int:
        supervisor = Supervisor(console)
        try:
            await create_databases(server, config)
            await migrate_all(supervisor, server, config, base_env())
        except ChildFailed as failure:
            supervisor.report_failure(failure.child)
            return 1
        finally:
            await supervisor.stop_all()
        console.print(f"migrated {', '.join(config.database(context) for context in CONTEXTS)} to head")
        return 0

    with postgres_server() as server, contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(go(server))
    return 130
