"""ValidateAttributes: trading checks a free-form listing's values against a category, as items are checked."""

import uuid

import grpc

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc
from testkit.grpc import error_reason, rpc_error
from testkit.values import plain, values


def check(category_id: str, **attributes) -> pb.ValidateAttributesRequest:
    return pb.ValidateAttributesRequest(category_id=category_id, attributes=values(**attributes))


async def test_valid_values_come_back_as_stored_with_the_category_and_its_game(catalog, skins):
    checked = await catalog.ValidateAttributes(check(skins.category.id, wear=0.25, rarity="Covert", pattern_index=7.0))
    assert list(checked.violations) == []
    assert plain(checked.attributes) == {"wear": 0.25, "rarity": "Covert", "pattern_index": 7}
    assert checked.category.id == skins.category.id and checked.category.game_id == skins.game.id


async def test_every_problem_is_answered_at_once_named_by_its_key(catalog, skins):
    checked = await catalog.ValidateAttributes(
        check(skins.category.id, wear=1.5, stattrak="yes", pattern_index=3.5, colour="red", name_tag="x" * 21)
    )
    assert {v.field: v.description for v in checked.violations} == {
        "attributes.wear": "must be between 0 and 1",
        "attributes.stattrak": "must be true or false",
        "attributes.pattern_index": "must be a whole number",
        "attributes.colour": "is not an attribute of the category",
        "attributes.name_tag": "must be at most 20 characters",
        "attributes.rarity": "is required",
    }
    assert dict(checked.attributes) == {}


async def test_an_unknown_category_is_not_found(catalog):
    error = await rpc_error(catalog.ValidateAttributes(check(str(uuid.uuid4()))))
    assert error.code() is grpc.StatusCode.NOT_FOUND and error_reason(error) == "CATEGORY_NOT_FOUND"


async def test_only_trading_may_check_values(stack, skins, user):
    request = check(skins.category.id, wear=0.1, rarity="Covert")
    anonymous = catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog"))
    assert (await rpc_error(anonymous.ValidateAttributes(request))).code() is grpc.StatusCode.UNAUTHENTICATED
    assert (await rpc_error(anonymous.ValidateAttributes(request, metadata=user))).code() is (
        grpc.StatusCode.PERMISSION_DENIED
    )
    messaging = catalog_service_pb2_grpc.CatalogServiceStub(stack.channel("catalog", as_service="messaging"))
    assert (await rpc_error(messaging.ValidateAttributes(request))).code() is grpc.StatusCode.PERMISSION_DENIED
