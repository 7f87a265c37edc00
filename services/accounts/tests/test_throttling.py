"""Sign-in throttling: repeated failures on one account, or from one client, are RESOURCE_EXHAUSTED."""

import asyncio
import uuid
from datetime import timedelta

import grpc
import pytest
from accounts_support import PASSWORD, client_address, new_registration
from sqlalchemy import update

from accounts.config import AccountsSettings
from accounts.models import LoginFailures
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from testkit.grpc import error_metadata, error_reason, rpc_error

LIMIT = AccountsSettings.login_failures_per_account


def sign_in(login: str, password: str = PASSWORD) -> pb.CreateSessionRequest:
    return pb.CreateSessionRequest(login=login, password=password)


@pytest.fixture
async def user(accounts):
    request = new_registration()
    await accounts.CreateUser(request)
    return request


async def fail(accounts, login: str, times: int, metadata=None) -> None:
    for _ in range(times):
        error = await rpc_error(
            accounts.CreateSession(sign_in(login, "wrong password"), metadata=metadata or client_address())
        )
        assert error_reason(error) == "INVALID_CREDENTIALS"


async def test_repeated_failures_on_one_account_are_throttled_from_any_client(accounts, user):
    await fail(accounts, user.email, LIMIT)
    # Even the right password, from yet another client: the account waits.
    error = await rpc_error(accounts.CreateSession(sign_in(user.username, PASSWORD), metadata=client_address()))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"
    assert 0 < int(error_metadata(error)["retry_after_seconds"]) <= 15 * 60
    other = new_registration()
    await accounts.CreateUser(other)
    assert (await accounts.CreateSession(sign_in(other.email), metadata=client_address())).access_token


async def test_an_unknown_login_is_throttled_like_a_known_one(accounts):
    login = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    await fail(accounts, login, LIMIT)
    error = await rpc_error(accounts.CreateSession(sign_in(login), metadata=client_address()))
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"


async def test_repeated_failures_from_one_client_are_throttled_for_every_account(accounts, user):
    client = client_address()
    limit = AccountsSettings.login_failures_per_client
    logins = [f"guess-{index}-{uuid.uuid4().hex[:6]}@example.com" for index in range(limit)]
    await asyncio.gather(*(fail(accounts, login, 1, metadata=client) for login in logins))
    error = await rpc_error(accounts.CreateSession(sign_in(user.email), metadata=client))
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"
    # The same account from elsewhere is fine: the client is throttled, not the account.
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client_address())).access_token


async def test_a_successful_sign_in_clears_the_accounts_failures(accounts, user):
    await fail(accounts, user.email, LIMIT - 1)
    await accounts.CreateSession(sign_in(user.email), metadata=client_address())
    await fail(accounts, user.email, LIMIT - 1)
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client_address())).access_token


async def test_the_throttle_lifts_when_the_window_is_over(accounts, accounts_db):
    user = new_registration()
    user_id = (await accounts.CreateUser(user)).id
    await fail(accounts, user.email, LIMIT)
    assert error_reason(await rpc_error(accounts.CreateSession(sign_in(user.email)))) == "TOO_MANY_FAILED_SIGN_INS"
    async with accounts_db.begin() as session:
        await session.execute(
            update(LoginFailures)
            .where(LoginFailures.key == f"user:{user_id}")
            .values(window_started_at=LoginFailures.window_started_at - timedelta(hours=1))
        )
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client_address())).access_token
