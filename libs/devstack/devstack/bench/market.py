"""What users do through the gateway in more than one scenario: buy a listing, start conversations about skins."""

import asyncio
import uuid
from uuid import UUID

import httpx
from rich.console import Console
from rich.progress import Progress

from devstack.bench import BenchStack
from devstack.bench.load import Failed, expect_ok, http_clients
from devstack.bench.purchase_setup import LISTED_PER_SELLER, bearer, list_skins

COMPLETED = "TRANSACTION_STATUS_COMPLETED"
STARTING = 32  # HTTP connections that start conversations


async def buy(client: httpx.AsyncClient, listing_id: UUID, authorization: str) -> None:
    """Buys the listing with a fresh Idempotency-Key; anything but a completed purchase raises Failed."""
    headers = {"authorization": authorization, "idempotency-key": uuid.uuid4().hex}
    response = expect_ok(await client.post(f"/v1/listings/{listing_id}:buy", json={}, headers=headers))
    if (status := response.json()["status"]) != COMPLETED:
        raise Failed(f"HTTP 200 {status}")


async def start_conversations(stack: BenchStack, pairs: int, console: Console) -> list[tuple[str, str, str]]:
    """(conversation id, buyer id, seller id) of `pairs` new conversations, each about a skin of its seller."""
    sellers = [uuid.uuid4() for _ in range(pairs)]
    with Progress(console=console) as progress:
        listings = await list_skins(stack, sellers, progress)
        task = progress.add_task("starting conversations through the gateway", total=pairs)
        clients = http_clients(stack.config.gateway_url, STARTING)

        async def start(index: int) -> tuple[str, str, str]:
            buyer, seller = uuid.uuid4(), sellers[index]
            client = clients[index % STARTING]
            body = {"listing_id": str(listings[index * LISTED_PER_SELLER])}
            response = await client.post(
                "/v1/conversations", json=body, headers={"authorization": bearer(stack, buyer)}
            )
            expect_ok(response)
            progress.advance(task)
            return response.json()["id"], str(buyer), str(seller)

        try:
            found = []
            for first in range(0, pairs, STARTING):
                found += await asyncio.gather(*(start(index) for index in range(first, min(first + STARTING, pairs))))
            return found
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))
