"""What every service learns from accounts: suspended users from the feed, signing keys as they roll."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc, resources_pb2
from marketplace.common.v1 import events_pb2
from servicekit.auth import Role, SigningKey, TokenVerifier, access_token_claims
from servicekit.errors import Unauthenticated
from servicekit.suspensions import REINSTATED, SUSPENDED, SuspendedUsers, UserSuspended, refresh_signing_keys


def event(kind: str, subject: str, cursor: str = "1.1") -> events_pb2.Event:
    return events_pb2.Event(type=kind, subject_id=subject, cursor=cursor)


def test_the_feed_suspends_and_reinstates_and_ignores_the_rest():
    first, second = uuid.uuid4(), uuid.uuid4()
    suspended = SuspendedUsers([first])
    suspended.apply(event(SUSPENDED, str(second)))
    suspended.apply(event("accounts.user.registered", str(uuid.uuid4())))
    suspended.apply(event(SUSPENDED, "not-a-uuid"))
    assert first in suspended and second in suspended and len(suspended) == 2
    suspended.apply(event(REINSTATED, str(first)))
    suspended.apply(event(REINSTATED, str(uuid.uuid4())))
    assert first not in suspended
    with pytest.raises(UserSuspended) as err:
        suspended.check(second)
    assert isinstance(err.value, Unauthenticated) and err.value.reason == "USER_SUSPENDED"


def token(key: SigningKey) -> str:
    claims = access_token_claims(
        uuid.uuid4(), Role.BOTH, issuer="iss", audience="aud", now=datetime.now(UTC), ttl=timedelta(minutes=5)
    )
    return key.sign(claims)


class KeyServer(accounts_service_pb2_grpc.AccountsServiceServicer):
    """Accounts as far as its signing keys go; `keys` is what it publishes now."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.calls = 0

    async def ListSigningKeys(self, request, context):
        self.calls += 1
        return accounts_service_pb2.ListSigningKeysResponse(
            keys=[resources_pb2.SigningKey(**key.public_jwk) for key in self.keys]
        )


async def test_a_key_accounts_rolls_in_is_trusted_without_a_restart():
    old, new = SigningKey.generate(), SigningKey.generate()
    accounts = KeyServer(old)
    server = grpc.aio.server()
    accounts_service_pb2_grpc.add_AccountsServiceServicer_to_server(accounts, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    verifier = TokenVerifier({"keys": []}, issuer="iss", audience="aud")  # no file: only what accounts publishes
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    follower = asyncio.create_task(
        refresh_signing_keys(verifier, channel, refresh_seconds=3600, min_interval_seconds=0.01)
    )
    try:
        async with asyncio.timeout(5):
            while accounts.calls == 0:
                await asyncio.sleep(0.01)
        verifier.verify(token(old))
        accounts.keys = [new, old]  # accounts now signs with the new key and still publishes the old one
        with pytest.raises(Unauthenticated, match="unknown key"):
            verifier.verify(token(new))
        # That unknown key id made the follower ask again at once, not in an hour.
        async with asyncio.timeout(5):
            while True:
                try:
                    verifier.verify(token(new))
                    break
                except Unauthenticated:
                    await asyncio.sleep(0.01)
        verifier.verify(token(old))
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await channel.close()
        await server.stop(0)
