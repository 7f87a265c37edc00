import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2
from testkit.grpc import error_reason, field_violations

from .catalog_support import unique


def category(game_id: str, name: str = "", parent_id: str = "", description: str = "") -> pb.CreateCategoryRequest:
    return pb.CreateCategoryRequest(
        game_id=game_id,
        category=resources_pb2.Category(name=name or unique("Category"), parent_id=parent_id, description=description),
    )


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


async def test_an_admin_creates_a_category_and_a_sub_category(catalog, admin, game):
    parent = await catalog.CreateCategory(category(game.id, "Weapon skins"), metadata=admin)
    child = await catalog.CreateCategory(category(game.id, "Knives", parent.id), metadata=admin)
    assert child.game_id == game.id and child.parent_id == parent.id
    assert (await catalog.GetCategory(pb.GetCategoryRequest(category_id=child.id))) == child
    page = await catalog.ListCategories(pb.ListCategoriesRequest(game_id=game.id))
    assert [found.name for found in page.categories] == ["Knives", "Weapon skins"]


async def test_a_parent_from_another_game_or_unknown_is_invalid(catalog, admin, game):
    other_game = await catalog.CreateGame(
        pb.CreateGameRequest(game=resources_pb2.Game(name=unique("Other"))), metadata=admin
    )
    elsewhere = await catalog.CreateCategory(category(other_game.id), metadata=admin)
    for parent_id in (elsewhere.id, str(uuid.uuid4())):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await catalog.CreateCategory(category(game.id, parent_id=parent_id), metadata=admin)
        assert set(field_violations(err.value)) == {"category.parent_id"}


async def test_a_category_cannot_move_under_its_own_sub_category(catalog, admin, game):
    top = await catalog.CreateCategory(category(game.id), metadata=admin)
    middle = await catalog.CreateCategory(category(game.id, parent_id=top.id), metadata=admin)
    bottom = await catalog.CreateCategory(category(game.id, parent_id=middle.id), metadata=admin)
    for parent_id in (bottom.id, top.id):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await catalog.UpdateCategory(
                pb.UpdateCategoryRequest(
                    category_id=top.id,
                    category=resources_pb2.Category(parent_id=parent_id),
                    update_mask=mask("parent_id"),
                ),
                metadata=admin,
            )
        assert set(field_violations(err.value)) == {"category.parent_id"}
    moved = await catalog.UpdateCategory(
        pb.UpdateCategoryRequest(
            category_id=bottom.id, category=resources_pb2.Category(), update_mask=mask("parent_id")
        ),
        metadata=admin,
    )
    assert moved.parent_id == ""


async def test_names_are_unique_within_a_game_only(catalog, admin, game):
    await catalog.CreateCategory(category(game.id, "Stickers"), metadata=admin)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateCategory(category(game.id, "STICKERS"), metadata=admin)
    assert err.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(err.value) == "CATEGORY_NAME_TAKEN"
    other_game = await catalog.CreateGame(
        pb.CreateGameRequest(game=resources_pb2.Game(name=unique("G"))), metadata=admin
    )
    await catalog.CreateCategory(category(other_game.id, "Stickers"), metadata=admin)


async def test_an_update_changes_the_masked_fields(catalog, admin, game):
    created = await catalog.CreateCategory(category(game.id, description="old"), metadata=admin)
    changed = await catalog.UpdateCategory(
        pb.UpdateCategoryRequest(
            category_id=created.id,
            category=resources_pb2.Category(name="ignored", description="new"),
            update_mask=mask("description"),
        ),
        metadata=admin,
    )
    assert (changed.name, changed.description) == (created.name, "new")


async def test_only_admins_manage_categories(catalog, user, game):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateCategory(category(game.id), metadata=user)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_categories_of_an_unknown_game_are_not_found(catalog, admin):
    for call in (
        catalog.ListCategories(pb.ListCategoriesRequest(game_id=str(uuid.uuid4()))),
        catalog.CreateCategory(category(str(uuid.uuid4())), metadata=admin),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert error_reason(err.value) == "GAME_NOT_FOUND"


async def test_a_category_with_items_or_sub_categories_is_not_deleted(catalog, admin, skins, user, make_item):
    child = await catalog.CreateCategory(category(skins.game.id, parent_id=skins.category.id), metadata=admin)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.DeleteCategory(pb.DeleteCategoryRequest(category_id=skins.category.id), metadata=admin)
    assert error_reason(err.value) == "CATEGORY_HAS_SUBCATEGORIES"
    await catalog.DeleteCategory(pb.DeleteCategoryRequest(category_id=child.id), metadata=admin)
    await make_item(user, template_id=skins.redline.id, wear=0.5)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.DeleteCategory(pb.DeleteCategoryRequest(category_id=skins.category.id), metadata=admin)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(err.value) == "CATEGORY_HAS_ITEMS"


async def test_deleting_a_category_takes_its_attributes_and_templates(catalog, admin, skins):
    deleted = await catalog.DeleteCategory(pb.DeleteCategoryRequest(category_id=skins.category.id), metadata=admin)
    assert deleted.id == skins.category.id
    for call in (
        catalog.GetTemplate(pb.GetTemplateRequest(template_id=skins.redline.id)),
        catalog.GetAttribute(pb.GetAttributeRequest(attribute_id=skins.attributes["wear"].id)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call
        assert err.value.code() is grpc.StatusCode.NOT_FOUND
