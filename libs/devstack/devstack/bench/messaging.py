"""Benchmark "messaging": live delivery of messages to many Server-Sent Events clients through the gateway.

A private stack, with the catalog seeded, plus a second messaging process and a second gateway in front
of it. Half the clients are sellers with a listed skin, half buyers, one conversation per pair. Every
client holds `GET /v1/events` open on the first gateway (whose messaging is the first process), while
senders post messages at a fixed rate through the second gateway (the second process) for a fixed time:
every delivery crosses from one messaging process to the other (services/messaging/README.md, "Live
delivery").

It prints sends/s, the delivery latency to the recipient (send accepted by the gateway -> event read
by the client; an event read before the answer counts as 0; and from the send's request, which has no
such floor), the lost and duplicated deliveries (each
message goes to both participants; both must be 0), and the RSS of each gateway and messaging process
with every client connected. The figures also go to bench-results/messaging.json.
"""

import asyncio
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

import grpc
import httpx
from rich.console import Console
from rich.table import Table

from devstack.bench import BenchStack, in_bench_stack, run_on_server
from devstack.bench.load import Failed, http_clients, machine_summary
from devstack.bench.market import start_conversations
from devstack.bench.memory import children_rss_mb
from devstack.bench.purchase_setup import bearer
from devstack.bench.results import write_results
from devstack.ports import free_port
from devstack.services import gateway_env, python, service_env, wait_http_ok, wait_serving
from devstack.stack import Child, Supervisor

SENDERS = 32  # HTTP connections the senders share
CONNECTING = 100  # clients connecting at once
DRAIN_SECONDS = 10.0  # how long deliveries may trail the last send
TARGETS = {"clients": 1_000, "sends/s": 100, "p99 ms": 250, "gateway RSS MB": 300}


@dataclass
class Deliveries:
    """What the clients read: when each participant first got each message, and how often."""

    received: dict[tuple[str, str], float] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def add(self, user_id: str, message_id: str) -> None:
        key = (user_id, message_id)
        self.counts[key] += 1
        self.received.setdefault(key, time.perf_counter())


@dataclass(frozen=True)
class Sent:
    message_id: str
    sender: str
    recipient: str
    requested: float
    accepted: float


async def event_client(host: str, port: int, user_id: str, token: str, deliveries: Deliveries, opened: asyncio.Event):
    """One client of GET /v1/events over a raw HTTP/1.1 connection (lighter than an HTTP library for a thousand):
    the chunked body is read as SSE, and every `message` event recorded."""
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    try:
        writer.write(
            f"GET /v1/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"GET /v1/events answered {status.decode().strip()}")
        while (await reader.readline()).strip():
            pass
        opened.set()
        pending = ""
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                return
            pending += (await reader.readexactly(size + 2))[:-2].decode()
            *events, pending = pending.split("\n\n")
            for event in events:
                fields = dict(line.split(": ", 1) for line in event.split("\n") if line and not line.startswith(":"))
                if fields.get("event") == "message":
                    deliveries.add(user_id, json.loads(fields["data"])["message"]["id"])
    finally:
        writer.close()


async def start_second_messaging(supervisor: Supervisor, stack: BenchStack) -> tuple[Child, Child, str]:
    """A second messaging process and a gateway whose messaging it is; the gateway's URL."""
    config, deadline = stack.config, time.monotonic() + stack.config.start_timeout
    port, gateway_port = free_port(), free_port()
    env = service_env(config, stack.server, "messaging", stack.keys, stack.env) | {"GRPC_PORT": str(port)}
    messaging = await supervisor.start("messaging-2", python("messaging", "serve"), env)
    await wait_serving(supervisor, f"127.0.0.1:{port}", deadline)
    env = gateway_env(config, stack.env) | {"GATEWAY_PORT": str(gateway_port), "MESSAGING_ADDR": f"127.0.0.1:{port}"}
    gateway = await supervisor.start("gateway-2", python("gateway", "serve"), env)
    url = f"http://{config.gateway_host}:{gateway_port}"
    await wait_http_ok(supervisor, f"{url}/healthz", deadline)
    return messaging, gateway, url


async def send_messages(
    url: str, stack: BenchStack, conversations: list[tuple[str, str, str]], rate: float, seconds: float
) -> tuple[list[Sent], Counter]:
    """Messages at `rate` a second for `seconds` (open loop: a send waits for none before it), each by a random
    participant of a random conversation; what was accepted, and the failures by kind."""
    clients = http_clients(url, SENDERS)
    free = asyncio.Queue()
    for client in clients:
        free.put_nowait(client)
    sent: list[Sent] = []
    failures: Counter = Counter()

    async def send() -> None:
        conversation_id, buyer, seller = random.choice(conversations)
        sender, recipient = (buyer, seller) if random.random() < 0.5 else (seller, buyer)
        client = await free.get()
        requested = time.perf_counter()
        try:
            response = await client.post(
                f"/v1/conversations/{conversation_id}/messages",
                json={"text": f"is it still available? {random.random():.6f}"},
                headers={"authorization": bearer(stack, UUID(sender))},
            )
            if response.status_code != 200:
                failures[f"HTTP {response.status_code}"] += 1
                return
            sent.append(Sent(response.json()["id"], sender, recipient, requested, time.perf_counter()))
        except httpx.HTTPError as error:
            failures[type(error).__name__] += 1
        finally:
            free.put_nowait(client)

    started, tasks = time.perf_counter(), []
    for index in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send()))
    await asyncio.gather(*tasks)
    await asyncio.gather(*(client.aclose() for client in clients))
    return sent, failures


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


async def _bench(server: str, console: Console, clients: int, rate: float, seconds: float) -> int:
    async def run(supervisor: Supervisor, stack: BenchStack) -> int:
        console.print(
            f"{machine_summary()} {clients:,} SSE clients, messages sent at {rate:g}/s for {seconds:g} s. The clients "
            "and senders (one asyncio process) share the cores with the stack and PostgreSQL.",
            soft_wrap=True,
        )
        _, _, sending_url = await start_second_messaging(supervisor, stack)
        conversations = await start_conversations(stack, clients // 2, console)
        deliveries = Deliveries()
        host, port = stack.config.gateway_host, stack.config.gateway_port
        participants = [user for _, buyer, seller in conversations for user in (buyer, seller)]
        readers, opened = [], []
        console.print(f"[bold]connecting[/] {len(participants):,} clients to GET /v1/events")
        for first in range(0, len(participants), CONNECTING):
            batch = [asyncio.Event() for _ in participants[first : first + CONNECTING]]
            for user, event in zip(participants[first : first + CONNECTING], batch, strict=True):
                token = bearer(stack, UUID(user))
                readers.append(asyncio.create_task(event_client(host, port, user, token, deliveries, event)))
            await asyncio.wait_for(asyncio.gather(*(event.wait() for event in batch)), timeout=60)
            opened += batch
        connected = sum(event.is_set() for event in opened)
        console.print(f"[bold]sending[/] for {seconds:g} s")
        sent, failures = await send_messages(sending_url, stack, conversations, rate, seconds)
        expected = {(user, message.message_id) for message in sent for user in (message.sender, message.recipient)}
        deadline = time.perf_counter() + DRAIN_SECONDS
        while not expected <= deliveries.received.keys() and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        memory = {
            name: megabytes
            for name, megabytes in children_rss_mb(supervisor).items()
            if "gateway" in name or "messaging" in name
        }
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        delivered = [message for message in sent if (message.recipient, message.message_id) in deliveries.received]
        latencies = [
            max(0.0, deliveries.received[message.recipient, message.message_id] - message.accepted) * 1000
            for message in delivered
        ]
        from_request = [
            (deliveries.received[message.recipient, message.message_id] - message.requested) * 1000
            for message in delivered
        ]
        figures = {
            "clients": connected,
            "sends/s": len(sent) / seconds,
            "send failures": dict(failures),
            "p50 ms": percentile(latencies, 0.50),
            "p99 ms": percentile(latencies, 0.99),
            "from request p50 ms": percentile(from_request, 0.50),
            "from request p99 ms": percentile(from_request, 0.99),
            "lost": len(expected - deliveries.received.keys()),
            "duplicated": sum(count - 1 for key, count in deliveries.counts.items() if key in expected and count > 1),
            "rss MB": memory,
        }
        report(console, figures)
        write_results("messaging", {**figures, "targets": TARGETS})
        return 1 if figures["lost"] or figures["duplicated"] else 0

    return await in_bench_stack(
        console,
        server,
        run,
        failures=(TimeoutError, httpx.HTTPError, grpc.aio.AioRpcError, RuntimeError, OSError, Failed),
        seed={"catalog": {}},
    )


def report(console: Console, figures: dict) -> None:
    table = Table()
    for column in ("measure", "figure", "target"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("connected SSE clients", f"{figures['clients']:,}", f">= {TARGETS['clients']:,}")
    table.add_row("sends/s", f"{figures['sends/s']:.0f}", f">= {TARGETS['sends/s']}")
    table.add_row("delivery p50 ms", f"{figures['p50 ms']:.1f}", "")
    table.add_row("delivery p99 ms", f"{figures['p99 ms']:.1f}", f"< {TARGETS['p99 ms']}")
    table.add_row("send requested -> received p50 ms", f"{figures['from request p50 ms']:.1f}", "")
    table.add_row("send requested -> received p99 ms", f"{figures['from request p99 ms']:.1f}", "")
    table.add_row("lost deliveries", str(figures["lost"]), "0")
    table.add_row("duplicated deliveries", str(figures["duplicated"]), "0")
    for name, megabytes in figures["rss MB"].items():
        target = f"< {TARGETS['gateway RSS MB']}" if name == "gateway" else ""
        table.add_row(f"RSS of {name} MB", f"{megabytes:.0f}", target)
    console.print(table)
    for kind, count in figures["send failures"].items():
        console.print(f"  send error: {kind} x {count}", soft_wrap=True)


def bench(clients: int, rate: float, seconds: float) -> int:
    if clients < 2 or rate <= 0 or seconds <= 0:
        raise SystemExit("--clients must be at least 2, --rate and --seconds above 0")
    console = Console(highlight=False)
    return run_on_server(lambda server: _bench(server, console, clients, rate, seconds))
