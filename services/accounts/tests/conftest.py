"""Fixtures of the accounts service tests (helpers live in accounts_support.py)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import grpc
import pytest

from accounts.repository.ledger_reads import invariant_violations
from accounts.service import users
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.catalog.v1 import catalog_service_pb2_grpc
from servicekit.config import PoolSettings
from servicekit.db import Database
from testkit.stack import replica
from testkit.tokens import bearer

from .accounts_support import SignedIn, asyncpg_url, new_registration, usd


@pytest.fixture
def accounts(stack):
    """Accounts as trading calls it: trading's token opens the ledger's internal methods; user methods ignore it."""
    return accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts", as_service="trading"))


@pytest.fixture
def catalog(stack):
    return catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog"))


@pytest.fixture(scope="session")
async def accounts_db(stack):
    """The accounts database of the running stack, for looking at what the service stored."""
    db = Database(stack.database_urls["accounts"], PoolSettings(size=2))
    yield db
    await db.dispose()


@pytest.fixture
def registration():
    """Makes a valid registration with a fresh email and username; keyword arguments override fields."""
    return new_registration


@pytest.fixture
def sign_up(accounts):
    """Registers a new user and signs them in."""

    async def sign_up(**fields) -> SignedIn:
        request = new_registration(**fields)
        user = await accounts.CreateUser(request)
        session = await accounts.CreateSession(pb.CreateSessionRequest(login=request.email, password=request.password))
        return SignedIn(user, session)

    return sign_up


@pytest.fixture
async def ledger_invariants(stack):
    """Checks the whole ledger after the test: per currency the entries sum to zero, every posting
    balances, every balance is the sum of its entries, and no balance but `external` is negative."""
    yield
    connection = await asyncpg.connect(asyncpg_url(stack.database_urls["accounts"]))
    try:
        assert await invariant_violations(connection) == {}
    finally:
        await connection.close()


@pytest.fixture
def make_admin(accounts, accounts_db):
    """Creates an admin account (as the seed does) and signs it in."""

    async def make_admin() -> SignedIn:
        email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
        await users.ensure_admin(accounts_db, email, "admin password 1")
        session = await accounts.CreateSession(pb.CreateSessionRequest(login=email, password="admin password 1"))
        return SignedIn(await accounts.GetMe(pb.GetMeRequest(), metadata=bearer(session.access_token)), session)

    return make_admin


@pytest.fixture
def funded(accounts, sign_up):
    """Signs up a user whose wallet holds amount_minor (USD unless said otherwise)."""

    async def funded(amount_minor: int, currency: str = "USD") -> SignedIn:
        me = await sign_up()
        await accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(amount_minor, currency)), metadata=me.auth)
        return me

    return funded


@pytest.fixture
def wallet_of(accounts):
    """The (available, held) minor units of a user's wallet in a currency."""

    async def wallet_of(me: SignedIn, currency: str = "USD") -> tuple[int, int]:
        reply = await accounts.GetMyWallets(pb.GetMyWalletsRequest(), metadata=me.auth)
        [wallet] = [wallet for wallet in reply.wallets if wallet.currency == currency]
        return wallet.balance.amount_minor, wallet.held.amount_minor

    return wallet_of


@pytest.fixture
async def sql(stack):
    """A bare connection to the accounts database, for what only hand-written SQL can try."""
    connection = await asyncpg.connect(asyncpg_url(stack.database_urls["accounts"]))
    yield connection
    await connection.close()


@pytest.fixture
def accounts_replica(stack):
    """Starts another accounts server on the stack's database with some settings changed, as
    `async with accounts_replica(setting=value) as stub:`."""

    @asynccontextmanager
    async def accounts_replica(**changes) -> AsyncIterator[accounts_service_pb2_grpc.AccountsServiceStub]:
        async with replica(stack, "accounts", **changes) as address, grpc.aio.insecure_channel(address) as channel:
            yield accounts_service_pb2_grpc.AccountsServiceStub(channel)

    return accounts_replica
