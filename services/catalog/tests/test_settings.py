"""The catalog's runtime settings: a category takes no more attributes than its admins allow."""

import grpc
import pytest

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2
from testkit.grpc import error_metadata, error_reason, rpc_error
from testkit.settings import reset_settings, settings_change


@pytest.fixture
async def settings_admin(catalog, admin):
    """The admin's metadata; every setting is back to its default after the test."""
    yield admin
    await reset_settings(catalog, admin)


def attribute(key: str) -> resources_pb2.Attribute:
    return resources_pb2.Attribute(name=key.title(), key=key, type=resources_pb2.ATTRIBUTE_TYPE_STRING)


async def test_a_category_at_its_attribute_limit_takes_no_more(catalog, settings_admin, game):
    await catalog.UpdateSettings(settings_change({"max_attributes_per_category": 2}), metadata=settings_admin)
    category = await catalog.CreateCategory(
        pb.CreateCategoryRequest(game_id=game.id, category=resources_pb2.Category(name="Stickers")),
        metadata=settings_admin,
    )
    for key in ("rarity", "finish"):
        request = pb.CreateAttributeRequest(category_id=category.id, attribute=attribute(key))
        await catalog.CreateAttribute(request, metadata=settings_admin)
    third = pb.CreateAttributeRequest(category_id=category.id, attribute=attribute("tournament"))
    error = await rpc_error(catalog.CreateAttribute(third, metadata=settings_admin))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert (error_reason(error), error_metadata(error)) == ("CATEGORY_ATTRIBUTE_LIMIT", {"limit": "2"})
