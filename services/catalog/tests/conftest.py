import pytest

from marketplace.catalog.v1 import catalog_service_pb2_grpc
from servicekit.auth import Role
from testkit.tokens import bearer, mint


@pytest.fixture
async def catalog(stack):
    return catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog"))


@pytest.fixture
def admin(signing_key):
    return bearer(mint(signing_key, role=Role.ADMIN))


@pytest.fixture
def user(signing_key):
    return bearer(mint(signing_key, role=Role.BOTH))
