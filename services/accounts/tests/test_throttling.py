"""Throttling: sign-ins per account and client pair, per client and per account, and registrations per
client, are RESOURCE_EXHAUSTED past their limits; counted atomically, before the password is checked."""

import asyncio
import uuid
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import update

from accounts.config import AccountsSettings
from accounts.models import LoginFailures
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from testkit.grpc import error_metadata, error_reason, rpc_error

from .accounts_support import PASSWORD, client_address, new_registration

PAIR_LIMIT = AccountsSettings.login_failures_per_account_and_client


def sign_in(login: str, password: str = PASSWORD) -> pb.CreateSessionRequest:
    return pb.CreateSessionRequest(login=login, password=password)


@pytest.fixture
async def user(accounts):
    request = new_registration()
    await accounts.CreateUser(request)
    return request


async def fail(accounts, login: str, times: int, client) -> None:
    for _ in range(times):
        error = await rpc_error(accounts.CreateSession(sign_in(login, "wrong password"), metadata=client))
        assert error_reason(error) == "INVALID_CREDENTIALS"


async def test_12_concurrent_wrong_passwords_with_a_limit_of_5_get_5_checks_and_7_refusals(accounts, user):
    client = client_address()
    results = await asyncio.gather(
        *(accounts.CreateSession(sign_in(user.email, "wrong password"), metadata=client) for _ in range(12)),
        return_exceptions=True,
    )
    reasons = sorted(error_reason(error) for error in results)
    assert reasons == ["INVALID_CREDENTIALS"] * PAIR_LIMIT + ["TOO_MANY_FAILED_SIGN_INS"] * (12 - PAIR_LIMIT)


async def test_failures_from_one_address_throttle_that_address_even_with_the_right_password(accounts, user):
    client = client_address()
    await fail(accounts, user.email, PAIR_LIMIT, client)
    error = await rpc_error(accounts.CreateSession(sign_in(user.username), metadata=client))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"
    assert 0 < int(error_metadata(error)["retry_after_seconds"]) <= 15 * 60


async def test_a_strangers_failures_from_one_address_do_not_stop_the_owner_from_another(accounts, user):
    stranger = client_address()
    await fail(accounts, user.email, PAIR_LIMIT, stranger)
    error = await rpc_error(accounts.CreateSession(sign_in(user.email), metadata=stranger))
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client_address())).access_token


async def test_failures_spread_over_many_addresses_make_the_account_wait_everywhere(accounts_replica, user):
    async with accounts_replica(login_failures_per_account=8) as accounts:
        for _ in range(2):
            await fail(accounts, user.email, 4, client_address())
        error = await rpc_error(accounts.CreateSession(sign_in(user.email), metadata=client_address()))
        assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"
        assert 15 * 60 < int(error_metadata(error)["retry_after_seconds"]) <= 60 * 60


async def test_an_unknown_login_is_throttled_like_a_known_one(accounts):
    client = client_address()
    login = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    await fail(accounts, login, PAIR_LIMIT, client)
    error = await rpc_error(accounts.CreateSession(sign_in(login), metadata=client))
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"


async def test_repeated_failures_from_one_client_are_throttled_for_every_account(accounts, user):
    client = client_address()
    limit = AccountsSettings.login_failures_per_client
    logins = [f"guess-{index}-{uuid.uuid4().hex[:6]}@example.com" for index in range(limit)]
    await asyncio.gather(*(fail(accounts, login, 1, client) for login in logins))
    error = await rpc_error(accounts.CreateSession(sign_in(user.email), metadata=client))
    assert error_reason(error) == "TOO_MANY_FAILED_SIGN_INS"
    # The same account from elsewhere is fine: the client is throttled, not the account.
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client_address())).access_token


async def test_a_successful_sign_in_clears_the_failures_of_its_address(accounts, user):
    client = client_address()
    await fail(accounts, user.email, PAIR_LIMIT - 1, client)
    await accounts.CreateSession(sign_in(user.email), metadata=client)
    await fail(accounts, user.email, PAIR_LIMIT - 1, client)
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client)).access_token


async def test_the_throttle_lifts_when_the_window_is_over(accounts, accounts_db):
    client = client_address()
    user = new_registration()
    user_id = (await accounts.CreateUser(user)).id
    await fail(accounts, user.email, PAIR_LIMIT, client)
    assert error_reason(await rpc_error(accounts.CreateSession(sign_in(user.email), metadata=client))) == (
        "TOO_MANY_FAILED_SIGN_INS"
    )
    async with accounts_db.begin() as session:
        await session.execute(
            update(LoginFailures)
            .where(LoginFailures.key.startswith(f"pair:user:{user_id}|"))
            .values(window_started_at=LoginFailures.window_started_at - timedelta(hours=1))
        )
    assert (await accounts.CreateSession(sign_in(user.email), metadata=client)).access_token


async def test_a_burst_of_registrations_from_one_client_is_throttled(accounts_replica):
    client = client_address()
    async with accounts_replica(registrations_per_client=3) as accounts:
        results = await asyncio.gather(
            *(accounts.CreateUser(new_registration(), metadata=client) for _ in range(5)), return_exceptions=True
        )
        refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
        assert len(refused) == 2
        for error in refused:
            assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            assert error_reason(error) == "TOO_MANY_REGISTRATIONS"
            assert 0 < int(error_metadata(error)["retry_after_seconds"]) <= 60 * 60
        # Another address registers as usual.
        assert (await accounts.CreateUser(new_registration(), metadata=client_address())).id
