import pytest

from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.auth import Role
from testkit.tokens import bearer, mint


@pytest.fixture
async def trading(stack):
    return trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))


@pytest.fixture
def seller(signing_key):
    return bearer(mint(signing_key, role=Role.SELLER))
