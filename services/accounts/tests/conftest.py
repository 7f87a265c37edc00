import uuid
from dataclasses import dataclass

import pytest

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc, resources_pb2
from marketplace.catalog.v1 import catalog_service_pb2_grpc
from servicekit.db import Database
from testkit.tokens import bearer

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(stack):
    return accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))


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
