"""Fixtures of the trading service tests (helpers live in trading_support.py)."""

import uuid

import pytest

from marketplace.catalog.v1 import resources_pb2 as catalog_pb2
from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.auth import Role
from testkit.catalog import new_category
from testkit.tokens import bearer, mint

from .buy_order_support import RIFLE_ATTRIBUTES, SNEAKER_ATTRIBUTES
from .trading_support import SHOE_ATTRIBUTES, SKIN_ATTRIBUTES, Person


@pytest.fixture
async def trading(stack):
    return trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))


@pytest.fixture
def new_person(signing_key):
    """Makes a new signed-in user each time it is called."""

    def new_person(role: Role = Role.BOTH) -> Person:
        user_id = uuid.uuid4()
        return Person(id=str(user_id), auth=bearer(mint(signing_key, user_id, role)))

    return new_person


@pytest.fixture
def seller(new_person) -> Person:
    return new_person(Role.SELLER)


@pytest.fixture
def buyer(new_person) -> Person:
    return new_person(Role.BUYER)


@pytest.fixture(scope="session")
async def shoes(stack) -> catalog_pb2.Category:
    """A category for free-form listings: a required integer size from 30 to 50 and an optional colour."""
    return await new_category(stack, *SHOE_ATTRIBUTES)


@pytest.fixture(scope="session")
async def skins(stack) -> catalog_pb2.Category:
    """A category of game items with a required wear from 0 to 1."""
    return await new_category(stack, *SKIN_ATTRIBUTES)


# Buy orders: a category of their own for each test, since an order placed buys whatever matches on sale in it.
@pytest.fixture
async def rifles(stack) -> catalog_pb2.Category:
    """Rifle skins: a required filterable wear from 0 to 1, a rarity and whether it has stickers."""
    return await new_category(stack, *RIFLE_ATTRIBUTES)


@pytest.fixture
async def sneakers(stack) -> catalog_pb2.Category:
    """Physical goods: a required filterable integer size."""
    return await new_category(stack, *SNEAKER_ATTRIBUTES)
