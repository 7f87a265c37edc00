"""What every service learns from accounts to verify tokens: suspended users and signing keys.

A suspended user's access tokens must stop working at once on every service, although each
service verifies tokens alone. So each service keeps the ids of suspended users in memory:
it loads them with accounts' ListSuspendedUsers, which also answers the cursor of accounts'
event feed that goes with that snapshot, then follows the feed from there, adding a user on
"accounts.user.suspended" and removing them on "accounts.user.reinstated". The auth
interceptor refuses the tokens of users in the set. When the feed is lost (accounts
restarts), the list is loaded again, so nothing that happened meanwhile is missed. Until the
first list arrives the set is empty: a service starts while accounts is down, and access
tokens live a few minutes only.

The token verification keys are refreshed the same way, from accounts' ListSigningKeys every
few minutes and as soon as a token names a key nobody knows, so a key accounts rolls in is
trusted everywhere without a restart.
"""

import asyncio
import logging
from collections.abc import Iterable
from uuid import UUID

import grpc
import jwt
from google.protobuf import json_format

from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from marketplace.common.v1 import events_pb2, events_pb2_grpc
from servicekit.auth import TokenVerifier
from servicekit.errors import Unauthenticated

log = logging.getLogger("servicekit.suspensions")

SUSPENDED = "accounts.user.suspended"
REINSTATED = "accounts.user.reinstated"
KEYS_REFRESH_SECONDS = 300.0
# However many tokens name an unknown key, accounts is asked at most this often.
KEYS_MIN_INTERVAL_SECONDS = 5.0


class UserSuspended(Unauthenticated):
    reason = "USER_SUSPENDED"

    def __init__(self) -> None:
        super().__init__("this account is suspended: its tokens no longer work")


class SuspendedUsers:
    """The ids of the users whose tokens are refused."""

    def __init__(self, user_ids: Iterable[UUID] = ()) -> None:
        self._ids = set(user_ids)
        self.loaded = asyncio.Event()

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def replace(self, user_ids: Iterable[UUID]) -> None:
        self._ids = set(user_ids)
        self.loaded.set()

    def suspend(self, user_id: UUID) -> None:
        self._ids.add(user_id)

    def reinstate(self, user_id: UUID) -> None:
        self._ids.discard(user_id)

    def apply(self, event: events_pb2.Event) -> None:
        """Follows one event of accounts' feed; other events change nothing."""
        if event.type not in (SUSPENDED, REINSTATED):
            return
        try:
            user_id = UUID(event.subject_id)
        except ValueError:
            log.warning("event %s names no user: %r", event.cursor, event.subject_id)
            return
        if event.type == SUSPENDED:
            self.suspend(user_id)
        else:
            self.reinstate(user_id)

    def check(self, user_id: UUID) -> None:
        if user_id in self._ids:
            raise UserSuspended()


async def follow_suspensions(suspended: SuspendedUsers, channel: grpc.aio.Channel, retry_seconds: float = 1.0) -> None:
    """Keeps `suspended` current from accounts until cancelled."""
    accounts = accounts_service_pb2_grpc.AccountsServiceStub(channel)
    feed = events_pb2_grpc.EventFeedServiceStub(channel)
    while True:
        try:
            listing = await accounts.ListSuspendedUsers(
                accounts_service_pb2.ListSuspendedUsersRequest(), wait_for_ready=True
            )
            suspended.replace(UUID(user_id) for user_id in listing.user_ids)
            request = events_pb2.StreamEventsRequest(after=listing.event_cursor, follow=True)
            async for event in feed.StreamEvents(request, wait_for_ready=True):
                suspended.apply(event)
        except grpc.aio.AioRpcError as exc:
            log.warning("lost the suspensions feed of accounts (%s); loading them again", exc.code().name)
        except Exception:  # whatever it was, the tokens of suspended users must keep being refused
            log.exception("following the suspensions of accounts failed; loading them again")
        await asyncio.sleep(retry_seconds)


async def refresh_signing_keys(
    verifier: TokenVerifier,
    channel: grpc.aio.Channel,
    refresh_seconds: float = KEYS_REFRESH_SECONDS,
    min_interval_seconds: float = KEYS_MIN_INTERVAL_SECONDS,
) -> None:
    """Fetches accounts' signing keys into verifier now, every refresh_seconds, and when a token
    names an unknown key; until cancelled."""
    accounts = accounts_service_pb2_grpc.AccountsServiceStub(channel)
    while True:
        try:
            reply = await accounts.ListSigningKeys(
                accounts_service_pb2.ListSigningKeysRequest(), wait_for_ready=True, timeout=refresh_seconds
            )
            keys = [json_format.MessageToDict(key, preserving_proto_field_name=True) for key in reply.keys]
            verifier.use_fetched_keys({"keys": keys})
        except grpc.aio.AioRpcError as exc:
            log.warning("could not fetch the signing keys of accounts (%s)", exc.code().name)
        except (ValueError, jwt.PyJWTError) as exc:  # a key PyJWT cannot use
            log.warning("accounts published signing keys that cannot be used: %s", exc)
        await asyncio.sleep(min_interval_seconds)
        try:
            async with asyncio.timeout(max(0.0, refresh_seconds - min_interval_seconds)):
                await verifier.wait_for_unknown_key()
        except TimeoutError:
            pass
