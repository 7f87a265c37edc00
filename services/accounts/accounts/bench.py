"""`python -m accounts bench`: money moved through the accounts service, beside the database's own ceiling.

A private accounts service (database bench_ledger_accounts on the server of DATABASE_URL, dropped
at the end; a free port; its own keys) with 1,000 users whose wallets are funded through DepositFunds. Then, one after the
other, under the same closed-loop load of N concurrent callers between random pairs of wallets:

    service   HoldFunds then CaptureFunds of that hold (a fee of 5%) over gRPC -> accounts ->
              PostgreSQL: two postings per round, the hold made and then closed
    ceiling   one balanced posting in bare SQL on asyncpg, one connection per caller: BEGIN; lock
              both accounts in id order; insert the posting with its two entries; COMMIT

Both run against the same schema, so both pay for what the database enforces (the triggers
that keep balances and check that postings balance). Each target's cost is also told in CPU
milliseconds per posting, by process (the service, the database's own backends, the load
generator): steadier than throughput on a machine others share. Then the ledger's invariant
check, and the sign-in rate (CreateSession over gRPC), which argon2id makes slow on purpose.
"""

import argparse
import asyncio
import os
import random
import time
import uuid
from pathlib import Path

import asyncpg
import grpc
from rich.console import Console
from rich.table import Table

from accounts.config import AccountsSettings
from accounts.domain import passwords
from accounts.repository.ledger_reads import invariant_violations
from devstack.bench import in_private_stack
from devstack.bench.cpu import Costed, costed, cpu_table, postgres_pid
from devstack.bench.load import Result, machine_summary, measure
from devstack.bench.results import load_figures, write_results
from devstack.keys import KeyFiles, ensure_keys
from devstack.ports import free_port
from devstack.postgres import create_database, database_url, drop_database, service_url
from devstack.services import FAST_RECONNECT, base_env, python, wait_serving
from devstack.stack import Supervisor
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.common.v1 import money_pb2
from servicekit.auth import Role
from servicekit.identity import ServiceIdentity, service_token_interceptors

DATABASE = "bench_ledger_accounts"
WALLETS = 1_000
FUNDS_MINOR = 100_000_000  # 1,000,000.00 each: nobody runs dry during a run
PRICE_MINOR = 100
FEE_MINOR = 5
PASSWORD = "bench password 1"


def usd(amount_minor: int) -> money_pb2.Money:
    return money_pb2.Money(currency="USD", amount_minor=amount_minor)


async def create_users(url: str, count: int) -> list[uuid.UUID]:
    """Users written straight to the database, all with one password hashed once (hashing 1,000 would take a while)."""
    password_hash = await passwords.hash_password(PASSWORD)
    ids = [uuid.uuid4() for _ in range(count)]
    connection = await asyncpg.connect(url)
    try:
        await connection.executemany(
            "INSERT INTO users (id, email, username, role, status, password_hash)"
            " VALUES ($1, $2, $3, 'both', 'active', $4)",
            [
                (user_id, f"bench-{user_id.hex[:12]}@example.com", f"bench_{user_id.hex[:12]}", password_hash)
                for user_id in ids
            ],
        )
        await connection.executemany(
            "INSERT INTO profiles (user_id, display_name, bio, avatar_url) VALUES ($1, '', '', '')",
            [(user_id,) for user_id in ids],
        )
    finally:
        await connection.close()
    return ids


async def fund(stub, keys: KeyFiles, users: list[uuid.UUID]) -> None:
    semaphore = asyncio.Semaphore(32)

    async def one(user_id: uuid.UUID) -> None:
        async with semaphore:
            request = pb.DepositFundsRequest(amount=usd(FUNDS_MINOR), request_id=f"bench-funding-{user_id}")
            await stub.DepositFunds(
                request, metadata=(("authorization", f"Bearer {keys.token(user_id, Role.BOTH)}"),), timeout=30
            )

    await asyncio.gather(*(one(user_id) for user_id in users))


def pair(users: list) -> tuple:
    buyer, seller = random.sample(users, 2)
    return buyer, seller


async def measure_service(stub, users: list[uuid.UUID], concurrency: int, seconds: float, warmup: float) -> Result:
    async def hold_then_capture() -> None:
        buyer, seller = pair(users)
        transaction = uuid.uuid4()
        held = await stub.HoldFunds(
            pb.HoldFundsRequest(
                request_id=f"{transaction}:hold",
                user_id=str(buyer),
                amount=usd(PRICE_MINOR),
                transaction_id=str(transaction),
            ),
            timeout=30,
        )
        await stub.CaptureFunds(
            pb.CaptureFundsRequest(
                request_id=f"{transaction}:capture", hold_id=held.hold.id, seller_id=str(seller), fee=usd(FEE_MINOR)
            ),
            timeout=30,
        )

    await hold_then_capture()
    return await measure("service", [hold_then_capture] * concurrency, seconds=seconds, warmup=warmup)


CEILING_LOCK = "SELECT id FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE"
CEILING_INSERT = """
WITH posting AS (
    INSERT INTO postings (id, kind, scope, request_id, currency)
    VALUES (gen_random_uuid(), 'capture', 'bench-ceiling', $1, 'USD')
    RETURNING id
)
INSERT INTO ledger_entries (id, posting_id, account_id, currency, amount_minor)
SELECT gen_random_uuid(), posting.id, line.account_id, 'USD', line.amount_minor
FROM posting, unnest($2::uuid[], $3::int8[]) AS line(account_id, amount_minor)
"""


async def measure_ceiling(url: str, concurrency: int, seconds: float, warmup: float) -> Result:
    """The same balanced posting the service writes, in bare SQL: available to available between two users."""
    connections = [await asyncpg.connect(url) for _ in range(concurrency)]
    try:
        rows = await connections[0].fetch(
            "SELECT id FROM ledger_accounts WHERE kind = 'available' AND currency = 'USD'"
        )
        accounts = [row["id"] for row in rows]

        def call_of(connection: asyncpg.Connection):
            async def post() -> None:
                payer, payee = pair(accounts)
                async with connection.transaction():
                    await connection.fetch(CEILING_LOCK, [payer, payee])
                    await connection.execute(CEILING_INSERT, uuid.uuid4().hex, [payer, payee], [-1, 1])

            return post

        calls = [call_of(connection) for connection in connections]
        await asyncio.gather(*(call() for call in calls))
        return await measure("ceiling", calls, seconds=seconds, warmup=warmup)
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))


async def measure_logins(stub, users: list[uuid.UUID], concurrency: int, seconds: float, warmup: float) -> Result:
    logins = [f"bench_{user_id.hex[:12]}" for user_id in users]

    async def sign_in() -> None:
        await stub.CreateSession(pb.CreateSessionRequest(login=random.choice(logins), password=PASSWORD), timeout=30)

    await sign_in()
    return await measure("sign-in", [sign_in] * concurrency, seconds=seconds, warmup=warmup)


def report(console: Console, costs: dict[str, Costed], logins: Result, violations: dict, concurrency: int) -> None:
    service, ceiling = (costed.result for costed in costs.values())
    service_postings = 2 * service.rate
    table = Table()
    for column in ("target", "postings/s", "rounds/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="left" if column == "target" else "right")
    table.add_row(
        "service: Hold then Capture (gRPC)",
        f"{service_postings:,.0f}",
        f"{service.rate:,.0f}",
        f"{service.p50:.1f}",
        f"{service.p99:.1f}",
        str(service.errors),
    )
    table.add_row(
        "ceiling: one posting (bare SQL)",
        f"{ceiling.rate:,.0f}",
        f"{ceiling.rate:,.0f}",
        f"{ceiling.p50:.1f}",
        f"{ceiling.p99:.1f}",
        str(ceiling.errors),
    )
    console.print(table)
    console.print(cpu_table("posting", costs))
    service_cpu, ceiling_cpu = ({"cpu_ms_per_posting": costed.cpu_ms} for costed in costs.values())
    figures = {
        "service": {**load_figures(service), "postings_per_second": service_postings, **service_cpu},
        "ceiling": {**load_figures(ceiling), **ceiling_cpu},
        "sign_in": load_figures(logins),
        "invariant_violations": violations,
    }
    write_results("ledger", figures, {"service/ceiling postings/s": service_postings / ceiling.rate})
    console.print(
        f"service/ceiling: postings/s {service_postings / ceiling.rate:.2f}x "
        f"(the service's p99 is of a round: two calls, two postings)",
        soft_wrap=True,
    )
    verdict = "[green]passed[/]" if not violations else f"[red]FAILED: {violations}[/]"
    console.print(
        f"ledger invariants after the run (entries sum to zero per currency and per posting, held balances "
        f"are what their holds have left, balances equal their entries, nothing negative): {verdict}",
        soft_wrap=True,
    )
    console.print(
        f"sign-in: {logins.rate:,.1f} logins/s, p50 {logins.p50:.0f} ms, p99 {logins.p99:.0f} ms, "
        f"{logins.errors} errors, {concurrency} concurrent; argon2id m={passwords.MEMORY_COST_KIB} KiB, "
        f"t={passwords.TIME_COST}, p={passwords.PARALLELISM} (OWASP's minimum), {os.cpu_count()} CPU cores",
        soft_wrap=True,
    )


def describe_machine(console: Console, concurrency: int, seconds: float, warmup: float) -> None:
    console.print(
        f"{machine_summary()} "
        f"{concurrency} concurrent callers, {seconds:g} s measured after {warmup:g} s warm-up per target, "
        f"{WALLETS:,} funded wallets. The load generator (one asyncio process; one grpc.aio channel) shares the cores "
        "with the service and PostgreSQL: compare the rows, not the absolute numbers, with another machine's.",
        soft_wrap=True,
    )


async def _bench(server: str, console: Console, concurrency: int, seconds: float, warmup: float) -> int:
    port = free_port()
    raw_url = database_url(server, DATABASE)

    async def run(supervisor: Supervisor, state_dir: Path) -> int:
        await drop_database(server, DATABASE)  # whatever an interrupted run left behind
        await create_database(server, DATABASE)
        keys = ensure_keys(state_dir / "keys")
        accounts_env = base_env(
            {
                "LOG_LEVEL": "WARNING",
                "SHUTDOWN_GRACE_SECONDS": "1",
                "DATABASE_URL": service_url(server, DATABASE),
                "GRPC_PORT": str(port),
                "ACCOUNTS_ADDR": f"127.0.0.1:{port}",
                "AUTH_JWKS_FILE": str(keys.jwks),
                "AUTH_SIGNING_KEY_FILE": str(keys.signing_key),
                "SERVICE_KEY_FILE": str(keys.service_key("accounts")),
                "SERVICE_KEYS_FILE": str(keys.service_keys),
            }
        )
        console.print("[bold]migrating and starting accounts[/]")
        await supervisor.run_once("accounts:migrate", python("accounts", "migrate"), accounts_env)
        service_process = await supervisor.start("accounts", python("accounts", "serve"), accounts_env)
        address = f"127.0.0.1:{port}"
        await wait_serving(supervisor, address, time.monotonic() + 120)
        # As trading calls it: its token opens the internal hold and capture methods.
        as_trading = service_token_interceptors(
            ServiceIdentity.from_file("trading", keys.service_key("trading")), "accounts"
        )
        async with grpc.aio.insecure_channel(address, options=FAST_RECONNECT, interceptors=as_trading) as channel:
            stub = accounts_service_pb2_grpc.AccountsServiceStub(channel)
            console.print(f"[bold]funding {WALLETS:,} wallets[/]")
            users = await create_users(raw_url, WALLETS)
            await fund(stub, keys, users)
            describe_machine(console, concurrency, seconds, warmup)
            console.print(f"[bold]measuring[/] service, ceiling, sign-in: about {3 * (seconds + warmup):.0f} s")
            postmaster = await postgres_pid(raw_url)
            database = (postmaster, DATABASE) if postmaster else None
            costs = {
                # A round is two postings: the hold, then its capture.
                "service": await costed(
                    {"accounts": service_process.pid},
                    measure_service(stub, users, concurrency, seconds, warmup),
                    per_call=2,
                    database=database,
                ),
                "ceiling": await costed({}, measure_ceiling(raw_url, concurrency, seconds, warmup), database=database),
            }
            logins = await measure_logins(stub, users, concurrency, seconds, warmup)
        supervisor.check_alive()
        connection = await asyncpg.connect(raw_url)
        try:
            violations = await invariant_violations(connection)
        finally:
            await connection.close()
        report(console, costs, logins, violations, concurrency)
        return 0 if not violations else 1

    async def drop() -> None:
        await drop_database(server, DATABASE)

    return await in_private_stack(
        console, run, failures=(TimeoutError, grpc.aio.AioRpcError, asyncpg.PostgresError), cleanup=drop
    )


def main(settings: AccountsSettings, argv: list[str]) -> None:
    """Measure the ledger: Hold then Capture over gRPC beside the same posting in bare SQL."""
    parser = argparse.ArgumentParser(prog="python -m accounts bench", description=main.__doc__)
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent callers (default 32)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each (default 2)")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--concurrency must be at least 1, --seconds above 0, --warmup not below 0")
    console = Console(highlight=False)
    try:
        code = asyncio.run(_bench(settings.database_url, console, args.concurrency, args.seconds, args.warmup))
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)
