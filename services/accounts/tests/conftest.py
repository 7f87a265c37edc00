import uuid
from dataclasses import dataclass

import asyncpg
import pytest

from accounts import service
from accounts.ledger import invariant_violations
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc, resources_pb2
from marketplace.catalog.v1 import catalog_service_pb2_grpc
from marketplace.common.v1 import money_pb2
from servicekit.db import Database
from testkit.tokens import bearer

PASSWORD = "correct horse battery"


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
    db = Database(stack.database_urls["accounts"], pool_size=2)
    yield db
    await db.dispose()


def new_registration(**fields) -> pb.CreateUserRequest:
    suffix = uuid.uuid4().hex[:10]
    values = {"email": f"user-{suffix}@example.com", "username": f"user_{suffix}", "password": PASSWORD}
    return pb.CreateUserRequest(**(values | fields))


@pytest.fixture
def registration():
    """Makes a valid registration with a fresh email and username; keyword arguments override fields."""
    return new_registration


@dataclass
class SignedIn:
    user: resources_pb2.User
    session: resources_pb2.Session

    @property
    def auth(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.session.access_token)


@pytest.fixture
def sign_up(accounts):
    """Registers a new user and signs them in."""

    async def sign_up(**fields) -> SignedIn:
        request = new_registration(**fields)
        user = await accounts.CreateUser(request)
        session = await accounts.CreateSession(pb.CreateSessionRequest(login=request.email, password=request.password))
        return SignedIn(user, session)

    return sign_up


def asyncpg_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


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


def usd(amount_minor: int, currency: str = "USD") -> money_pb2.Money:
    return money_pb2.Money(currency=currency, amount_minor=amount_minor)


def client_address() -> tuple[tuple[str, str], ...]:
    """An `x-forwarded-for` of a client of its own, so sign-in throttling of one test never meets another's."""
    groups = uuid.uuid4().hex
    return (("x-forwarded-for", f"2001:db8:{groups[:4]}:{groups[4:8]}::1"),)


@pytest.fixture
def make_admin(accounts, accounts_db):
    """Creates an admin account (as the seed does) and signs it in."""

    async def make_admin() -> SignedIn:
        email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
        await service.ensure_admin(accounts_db, email, "admin password 1")
        session = await accounts.CreateSession(pb.CreateSessionRequest(login=email, password="admin password 1"))
        return SignedIn(await accounts.GetMe(pb.GetMeRequest(), metadata=bearer(session.access_token)), session)

    return make_admin
