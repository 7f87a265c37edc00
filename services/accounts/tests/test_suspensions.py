"""Suspending a user: their tokens stop working on every service, and sign-in stops too."""

import asyncio
import uuid

import grpc
import pytest

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import events_pb2, resources_pb2
from marketplace.catalog.v1 import catalog_service_pb2
from marketplace.messaging.v1 import messaging_service_pb2, messaging_service_pb2_grpc
from marketplace.trading.v1 import trading_service_pb2, trading_service_pb2_grpc
from servicekit.suspensions import SuspendedUsers
from testkit.feeds import events_until
from testkit.grpc import error_reason, rpc_error

from .accounts_support import PASSWORD


def cursor_key(cursor: str) -> tuple[int, int]:
    return tuple(map(int, cursor.split("."))) if cursor else (0, 0)


@pytest.fixture
def everywhere(stack, accounts, catalog):
    """One call needing (or checking) the caller's token on each of the four services; any answer but
    UNAUTHENTICATED (such as NOT_FOUND for a listing nobody has) means the token was accepted."""
    trading = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
    messaging = messaging_service_pb2_grpc.MessagingServiceStub(stack.channel("messaging"))

    def calls(auth):
        return {
            "accounts": lambda: accounts.GetMe(pb.GetMeRequest(), metadata=auth),
            "catalog": lambda: catalog.ListGames(catalog_service_pb2.ListGamesRequest(), metadata=auth),
            "trading": lambda: trading.GetListing(
                trading_service_pb2.GetListingRequest(listing_id=str(uuid.uuid4())), metadata=auth
            ),
            "messaging": lambda: messaging.ListConversations(
                messaging_service_pb2.ListConversationsRequest(), metadata=auth
            ),
        }

    return calls


async def accepted(call) -> bool:
    try:
        await call()
    except grpc.aio.AioRpcError as error:
        if error.code() is grpc.StatusCode.UNAUTHENTICATED:
            return False
    return True


async def refused_within(call, seconds: float = 10.0) -> grpc.aio.AioRpcError:
    """The feed takes a moment to reach the other services: poll."""
    async with asyncio.timeout(seconds):
        while True:
            try:
                await call()
            except grpc.aio.AioRpcError as error:
                if error.code() is grpc.StatusCode.UNAUTHENTICATED:
                    return error
            await asyncio.sleep(0.05)


async def accepted_within(call, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not await accepted(call):
            await asyncio.sleep(0.05)


async def test_a_suspended_users_tokens_stop_working_on_every_service(accounts, sign_up, make_admin, everywhere):
    me, admin = await sign_up(), await make_admin()
    calls = everywhere(me.auth)
    for call in calls.values():
        assert await accepted(call)

    suspended = await accounts.SuspendUser(
        pb.SuspendUserRequest(user_id=me.user.id, reason="fraud"), metadata=admin.auth
    )
    assert suspended.status == resources_pb2.USER_STATUS_SUSPENDED
    # The replica that suspended refuses at once; the others as soon as the event reaches them.
    error = await rpc_error(calls["accounts"]())
    assert (error.code(), error_reason(error)) == (grpc.StatusCode.UNAUTHENTICATED, "USER_SUSPENDED")
    for name in ("catalog", "trading", "messaging"):
        assert error_reason(await refused_within(calls[name])) == "USER_SUSPENDED", name

    refused = await rpc_error(accounts.CreateSession(pb.CreateSessionRequest(login=me.user.email, password=PASSWORD)))
    assert error_reason(refused) == "USER_SUSPENDED"
    ended = await rpc_error(accounts.RefreshSession(pb.RefreshSessionRequest(refresh_token=me.session.refresh_token)))
    assert ended.code() is grpc.StatusCode.UNAUTHENTICATED

    reinstated = await accounts.ReinstateUser(pb.ReinstateUserRequest(user_id=me.user.id), metadata=admin.auth)
    assert reinstated.status == resources_pb2.USER_STATUS_ACTIVE
    session = await accounts.CreateSession(pb.CreateSessionRequest(login=me.user.email, password=PASSWORD))
    for call in everywhere((("authorization", f"Bearer {session.access_token}"),)).values():
        await accepted_within(call)


async def test_suspensions_are_listed_with_the_cursor_to_follow_and_announced(accounts, sign_up, make_admin, stack):
    me, admin = await sign_up(), await make_admin()
    await accounts.SuspendUser(pb.SuspendUserRequest(user_id=me.user.id, reason="spam"), metadata=admin.auth)
    # Again: nothing changes, nothing is announced twice.
    await accounts.SuspendUser(pb.SuspendUserRequest(user_id=me.user.id), metadata=admin.auth)
    listing = await accounts.ListSuspendedUsers(pb.ListSuspendedUsersRequest())
    assert me.user.id in listing.user_ids

    await accounts.ReinstateUser(pb.ReinstateUserRequest(user_id=me.user.id), metadata=admin.auth)
    events = await events_until(
        stack.channel("accounts", as_service="messaging"),
        lambda events: any(e.type == "accounts.user.reinstated" and e.subject_id == me.user.id for e in events),
    )
    mine = [e for e in events if e.subject_id == me.user.id and e.type != "accounts.user.registered"]
    assert [e.type for e in mine] == ["accounts.user.suspended", "accounts.user.reinstated"]
    payload = events_pb2.UserSuspended()
    assert mine[0].payload.Unpack(payload) and payload.reason == "spam"
    # The listing, then the events after its cursor, as every service follows them: reinstated.
    following = SuspendedUsers(uuid.UUID(user_id) for user_id in listing.user_ids)
    for event in events:
        if cursor_key(event.cursor) > cursor_key(listing.event_cursor):
            following.apply(event)
    assert uuid.UUID(me.user.id) not in following
    assert me.user.id not in (await accounts.ListSuspendedUsers(pb.ListSuspendedUsersRequest())).user_ids


async def test_only_an_admin_suspends_and_never_themselves(accounts, sign_up, make_admin):
    me, other, admin = await sign_up(), await sign_up(), await make_admin()
    error = await rpc_error(accounts.SuspendUser(pb.SuspendUserRequest(user_id=other.user.id), metadata=me.auth))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    error = await rpc_error(accounts.ReinstateUser(pb.ReinstateUserRequest(user_id=other.user.id), metadata=me.auth))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    own = await rpc_error(accounts.SuspendUser(pb.SuspendUserRequest(user_id=admin.user.id), metadata=admin.auth))
    assert error_reason(own) == "CANNOT_SUSPEND_SELF"
    missing = await rpc_error(
        accounts.SuspendUser(pb.SuspendUserRequest(user_id=str(uuid.uuid4())), metadata=admin.auth)
    )
    assert missing.code() is grpc.StatusCode.NOT_FOUND
