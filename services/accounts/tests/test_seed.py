import asyncio
import os
import sys
import uuid

import grpc
import pytest

from accounts.app import SPEC
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from servicekit.cli import main
from testkit.commands import run_command
from testkit.grpc import error_reason


def seed_environment(database_url: str, **environment: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADMIN_")}
    return env | {"DATABASE_URL": database_url, "ENVIRONMENT": "development"} | environment


async def run_seed_process(database_url: str, **environment: str) -> tuple[int, str, str]:
    """`python -m accounts seed` against the stack's accounts database, as `make run` calls it."""
    finished = await run_command("accounts", "seed", env=seed_environment(database_url, **environment))
    return finished.returncode, finished.stdout, finished.stderr


@pytest.fixture
def run_seed(monkeypatch, capsys):
    """The same command through the same entry point, in this process: a second faster than a new one."""

    async def run_seed(database_url: str, **environment: str) -> tuple[int, str, str]:
        for name in ("ADMIN_EMAIL", "ADMIN_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        for name, value in seed_environment(database_url, **environment).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = 0
        try:
            # In a thread: the command runs its own event loop.
            await asyncio.to_thread(main, SPEC, ["seed"])
        except SystemExit as exc:
            code = 1
            print(exc, file=sys.stderr)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run_seed


async def sign_in(accounts, login: str, password: str) -> resources_pb2.Session:
    return await accounts.CreateSession(pb.CreateSessionRequest(login=login, password=password))


async def test_without_admin_password_the_seed_generates_one_and_prints_it(accounts, stack):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    code, stdout, stderr = await run_seed_process(stack.database_urls["accounts"], ADMIN_EMAIL=email)
    assert code == 0, stderr
    [line] = [line for line in stdout.splitlines() if line.startswith("admin password: ")]
    password = line.removeprefix("admin password: ")
    assert len(password) >= 20
    session = await sign_in(accounts, email, password)
    me = await accounts.GetMe(pb.GetMeRequest(), metadata=(("authorization", f"Bearer {session.access_token}"),))
    assert me.role == resources_pb2.ROLE_ADMIN

    # Run again without a password: a new one replaces the old, so the printed one always works.
    code, stdout, _ = await run_seed_process(stack.database_urls["accounts"], ADMIN_EMAIL=email)
    assert code == 0
    [line] = [line for line in stdout.splitlines() if line.startswith("admin password: ")]
    second = line.removeprefix("admin password: ")
    assert second != password
    await sign_in(accounts, email, second)


async def test_admin_password_from_the_environment_is_set_and_not_printed(accounts, stack, run_seed):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    await run_seed(stack.database_urls["accounts"], ADMIN_EMAIL=email, ADMIN_PASSWORD="first admin password")
    code, stdout, stderr = await run_seed(
        stack.database_urls["accounts"], ADMIN_EMAIL=email, ADMIN_PASSWORD="second admin password"
    )
    assert code == 0, stderr
    assert "admin password" not in stdout
    await sign_in(accounts, email, "second admin password")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await sign_in(accounts, email, "first admin password")
    assert error_reason(err.value) == "INVALID_CREDENTIALS"


async def test_the_seed_makes_an_existing_user_with_the_admin_email_an_admin(accounts, registration, stack, run_seed):
    request = registration()
    await accounts.CreateUser(request)
    before = await sign_in(accounts, request.email, request.password)
    code, _, stderr = await run_seed(
        stack.database_urls["accounts"], ADMIN_EMAIL=request.email, ADMIN_PASSWORD="operator chosen password"
    )
    assert code == 0, stderr
    session = await sign_in(accounts, request.username, "operator chosen password")
    me = await accounts.GetMe(pb.GetMeRequest(), metadata=(("authorization", f"Bearer {session.access_token}"),))
    assert me.role == resources_pb2.ROLE_ADMIN
    # The sessions signed in with the old password are over.
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await accounts.RefreshSession(pb.RefreshSessionRequest(refresh_token=before.refresh_token))
    assert error_reason(err.value) == "REFRESH_TOKEN_INVALID"


async def test_a_weak_admin_password_stops_the_seed_with_the_reason(stack, run_seed):
    code, _, stderr = await run_seed(
        stack.database_urls["accounts"], ADMIN_EMAIL=f"admin-{uuid.uuid4().hex[:8]}@example.com", ADMIN_PASSWORD="short"
    )
    assert code != 0
    assert "ADMIN_PASSWORD" in stderr
    assert "at least 10 characters" in stderr


async def test_the_demo_users_can_sign_in_after_seeding_twice(accounts, stack, run_seed):
    for _ in range(2):
        code, _, stderr = await run_seed(
            stack.database_urls["accounts"], ADMIN_EMAIL=f"admin-{uuid.uuid4().hex[:8]}@example.com"
        )
        assert code == 0, stderr
    buyer = await sign_in(accounts, "buyer@example.com", "marketplace-demo")
    seller = await sign_in(accounts, "demo-seller", "marketplace-demo")
    assert buyer.user_id != seller.user_id
    # The demo buyer has money to spend, deposited once however often the seed ran.
    wallets = await accounts.GetMyWallets(
        pb.GetMyWalletsRequest(), metadata=(("authorization", f"Bearer {buyer.access_token}"),)
    )
    assert [(w.currency, w.balance.amount_minor) for w in wallets.wallets] == [("USD", 100_000)]
