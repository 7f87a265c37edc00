"""Accounts' runtime settings: registration can be closed, and the sign-in throttle follows its thresholds;
those never set follow the environment."""

import grpc
import pytest

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.common.v1 import settings_pb2
from testkit.grpc import error_reason, rpc_error
from testkit.settings import plain_values, reset_settings, settings_change

from .accounts_support import PASSWORD, client_address, new_registration


@pytest.fixture
async def admin(accounts, make_admin):
    """A signed-in admin; every setting is back to its default after the test."""
    signed_in = await make_admin()
    yield signed_in.auth
    await reset_settings(accounts, signed_in.auth)


async def test_while_registration_is_closed_nobody_registers(accounts, admin):
    await accounts.UpdateSettings(settings_change({"registration_open": False}), metadata=admin)
    error = await rpc_error(accounts.CreateUser(new_registration()))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "REGISTRATION_CLOSED"
    await accounts.UpdateSettings(settings_change({"registration_open": True}), metadata=admin)
    assert (await accounts.CreateUser(new_registration())).id


async def test_thresholds_never_set_follow_the_environment(accounts, admin, stack):
    values = plain_values(await accounts.GetSettings(settings_pb2.GetSettingsRequest(), metadata=admin))
    # The test stack's environment raises this one for the whole run (testkit.plugin).
    assert values["registrations_per_client"] == stack.settings["accounts"].registrations_per_client
    assert values["login_failure_window"] == "900s"


async def test_the_sign_in_throttle_follows_its_runtime_threshold(accounts, admin):
    await accounts.UpdateSettings(settings_change({"login_failures_per_account_and_client": 2}), metadata=admin)
    user, client = new_registration(), client_address()
    await accounts.CreateUser(user)
    for _ in range(2):
        wrong = pb.CreateSessionRequest(login=user.email, password="wrong password")
        assert error_reason(await rpc_error(accounts.CreateSession(wrong, metadata=client))) == "INVALID_CREDENTIALS"
    right = pb.CreateSessionRequest(login=user.email, password=PASSWORD)
    assert error_reason(await rpc_error(accounts.CreateSession(right, metadata=client))) == "TOO_MANY_FAILED_SIGN_INS"
