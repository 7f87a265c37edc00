"""Fixtures of the catalog's service tests (helpers live in catalog_support.py)."""

import uuid

import pytest

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc, resources_pb2
from servicekit.auth import Role
from testkit.tokens import bearer, mint
from testkit.values import values

from .catalog_support import SKIN_ATTRIBUTES, Person, Skins, unique


@pytest.fixture
async def catalog(stack):
    """Catalog as trading calls it: trading's token opens TransferItem; user methods ignore it."""
    return catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog", as_service="trading"))


@pytest.fixture
def admin(signing_key):
    return bearer(mint(signing_key, role=Role.ADMIN))


@pytest.fixture
def user(signing_key):
    return bearer(mint(signing_key, role=Role.BOTH))


@pytest.fixture
def new_person(signing_key):
    def new_person() -> Person:
        user_id = uuid.uuid4()
        return Person(id=str(user_id), auth=bearer(mint(signing_key, user_id=user_id, role=Role.BOTH)))

    return new_person


@pytest.fixture
async def game(catalog, admin) -> resources_pb2.Game:
    return await catalog.CreateGame(pb.CreateGameRequest(game=resources_pb2.Game(name=unique("Game"))), metadata=admin)


@pytest.fixture
async def skins(catalog, admin, game) -> Skins:
    """A CS2-like category: wear, rarity, StatTrak, pattern index, name tag, and one template."""
    category = await catalog.CreateCategory(
        pb.CreateCategoryRequest(game_id=game.id, category=resources_pb2.Category(name="Weapon skins")), metadata=admin
    )
    created = {}
    for attribute in SKIN_ATTRIBUTES:
        request = pb.CreateAttributeRequest(category_id=category.id, attribute=attribute)
        created[attribute.key] = await catalog.CreateAttribute(request, metadata=admin)
    redline = await catalog.CreateTemplate(
        pb.CreateTemplateRequest(
            category_id=category.id,
            template=resources_pb2.Template(name="AK-47 | Redline", attributes=values(rarity="Classified")),
        ),
        metadata=admin,
    )
    return Skins(game=game, category=category, attributes=created, redline=redline)


@pytest.fixture
def make_item(catalog):
    async def make_item(
        owner, template_id: str = "", category_id: str = "", name: str = "", **attributes
    ) -> resources_pb2.Item:
        item = resources_pb2.Item(
            template_id=template_id, category_id=category_id, name=name, attributes=values(**attributes)
        )
        return await catalog.CreateItem(pb.CreateItemRequest(item=item), metadata=owner)

    return make_item
