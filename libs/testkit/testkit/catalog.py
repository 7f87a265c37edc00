"""Catalog categories and items that tests of other contexts need, made in the running catalog over gRPC."""

import uuid

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc, resources_pb2
from servicekit.auth import Role
from testkit.stack import Stack
from testkit.tokens import bearer, mint
from testkit.values import values


def _catalog(stack: Stack) -> catalog_service_pb2_grpc.CatalogServiceStub:
    return catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog"))


async def new_category(stack: Stack, *attributes: resources_pb2.Attribute) -> resources_pb2.Category:
    """A category of a new game, with these attribute definitions, made by an admin."""
    catalog, admin = _catalog(stack), bearer(mint(stack.signing_key, role=Role.ADMIN))
    game = await catalog.CreateGame(
        pb.CreateGameRequest(game=resources_pb2.Game(name=f"Game {uuid.uuid4().hex[:10]}")), metadata=admin
    )
    category = await catalog.CreateCategory(
        pb.CreateCategoryRequest(game_id=game.id, category=resources_pb2.Category(name="Things")), metadata=admin
    )
    for attribute in attributes:
        await catalog.CreateAttribute(
            pb.CreateAttributeRequest(category_id=category.id, attribute=attribute), metadata=admin
        )
    return category


async def new_item(
    stack: Stack, owner_auth, category_id: str, name: str, image_url: str = "", **attributes
) -> resources_pb2.Item:
    """An item of the category owned by whoever `owner_auth` (gRPC metadata) signs in."""
    item = resources_pb2.Item(category_id=category_id, name=name, image_url=image_url, attributes=values(**attributes))
    return await _catalog(stack).CreateItem(pb.CreateItemRequest(item=item), metadata=owner_auth)
