"""The demo users of a development stack (`make run`): accounts' seed makes them, and the seeds of the other
contexts act as them, signed in through accounts' API like anyone else (a service never reads another's
database)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import grpc

from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from servicekit.auth import Caller, Role
from servicekit.calls import Refused, ask

DEMO_PASSWORD = "marketplace-demo"


@dataclass(frozen=True)
class DemoUser:
    email: str
    username: str
    role: Role


DEMO_BUYER = DemoUser("buyer@example.com", "demo-buyer", Role.BUYER)
DEMO_SELLER = DemoUser("seller@example.com", "demo-seller", Role.SELLER)
DEMO_USERS = (DEMO_BUYER, DEMO_SELLER)


@dataclass(frozen=True)
class DemoSession:
    """A demo user signed in: as the caller of the context's own use cases, and as the gRPC metadata of
    calls to other contexts made in their name."""

    caller: Caller
    auth: tuple[tuple[str, str], ...]


@asynccontextmanager
async def signed_in(channel: grpc.aio.Channel, user: DemoUser, timeout: float) -> AsyncIterator[DemoSession | None]:
    """The demo user signed in with DEMO_PASSWORD for the block and signed out after it, so that no session is
    left behind; None when accounts does not know them with that password (its seed made no demo users)."""
    stub = accounts_service_pb2_grpc.AccountsServiceStub(channel)
    request = accounts_service_pb2.CreateSessionRequest(login=user.email, password=DEMO_PASSWORD)
    try:
        session = await ask("accounts", stub.CreateSession, request, timeout, (grpc.StatusCode.UNAUTHENTICATED,))
    except Refused:
        session = None
    if session is None:
        yield None
        return
    caller = Caller(UUID(session.user_id), user.role, token_id="demo-seed")
    try:
        yield DemoSession(caller, (("authorization", f"Bearer {session.access_token}"),))
    finally:
        revoke = accounts_service_pb2.RevokeSessionRequest(refresh_token=session.refresh_token)
        await ask("accounts", stub.RevokeSession, revoke, timeout)


@asynccontextmanager
async def both_signed_in(
    channel: grpc.aio.Channel, timeout: float
) -> AsyncIterator[tuple[DemoSession, DemoSession] | None]:
    """The demo seller and buyer signed in for the block, as (seller, buyer); None unless both could sign in."""
    async with (
        signed_in(channel, DEMO_SELLER, timeout) as seller,
        signed_in(channel, DEMO_BUYER, timeout) as buyer,
    ):
        yield (seller, buyer) if seller is not None and buyer is not None else None
