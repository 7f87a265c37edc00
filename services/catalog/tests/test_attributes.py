"""Attribute definitions, and the rule for changing those that stored values use (see the README)."""

import asyncio
import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2
from testkit.grpc import error_metadata, error_reason, field_violations
from testkit.values import plain, values

from .catalog_support import T


def define(category_id: str, **fields) -> pb.CreateAttributeRequest:
    fields = {"name": "Souvenir", "key": "souvenir", "type": T.ATTRIBUTE_TYPE_BOOLEAN} | fields
    return pb.CreateAttributeRequest(category_id=category_id, attribute=resources_pb2.Attribute(**fields))


def change(attribute_id: str, *paths: str, **fields) -> pb.UpdateAttributeRequest:
    return pb.UpdateAttributeRequest(
        attribute_id=attribute_id,
        attribute=resources_pb2.Attribute(**fields),
        update_mask=field_mask_pb2.FieldMask(paths=list(paths)),
    )


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value


async def test_attributes_are_listed_in_display_order_in_pages(catalog, skins):
    seen, token = [], ""
    while True:
        page = await catalog.ListAttributes(
            pb.ListAttributesRequest(category_id=skins.category.id, page_size=2, page_token=token)
        )
        seen += [attribute.key for attribute in page.attributes]
        if not (token := page.next_page_token):
            break
    assert seen == ["wear", "rarity", "stattrak", "pattern_index", "name_tag"]
    wear = await catalog.GetAttribute(pb.GetAttributeRequest(attribute_id=skins.attributes["wear"].id))
    assert (wear.type, wear.min, wear.max, wear.required) == (T.ATTRIBUTE_TYPE_NUMBER, 0, 1, True)
    assert not wear.HasField("max_length")


async def test_every_problem_of_a_definition_is_named(catalog, admin, skins):
    error = await refused(
        catalog.CreateAttribute(
            define(
                skins.category.id,
                key="Bad Key",
                type=T.ATTRIBUTE_TYPE_STRING,
                min=3,
                allowed_values=["a"],
                unit="kg",
                max_length=0,
            ),
            metadata=admin,
        )
    )
    assert set(field_violations(error)) == {
        "attribute.key",
        "attribute.min",
        "attribute.allowed_values",
        "attribute.unit",
        "attribute.max_length",
    }
    error = await refused(
        catalog.CreateAttribute(define(skins.category.id, type=T.ATTRIBUTE_TYPE_ENUM), metadata=admin)
    )
    assert set(field_violations(error)) == {"attribute.allowed_values"}
    error = await refused(
        catalog.CreateAttribute(define(skins.category.id, type=T.ATTRIBUTE_TYPE_NUMBER, min=2, max=1), metadata=admin)
    )
    assert set(field_violations(error)) == {"attribute.max"}
    error = await refused(catalog.CreateAttribute(define(skins.category.id, type=0), metadata=admin))
    assert set(field_violations(error)) == {"attribute.type"}


async def test_keys_are_unique_in_a_category_and_only_admins_define(catalog, admin, user, skins):
    error = await refused(catalog.CreateAttribute(define(skins.category.id, key="wear"), metadata=admin))
    assert error_reason(error) == "ATTRIBUTE_KEY_TAKEN"
    error = await refused(catalog.CreateAttribute(define(skins.category.id), metadata=user))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_key_and_type_never_change(catalog, admin, skins):
    wear = skins.attributes["wear"]
    error = await refused(
        catalog.UpdateAttribute(change(wear.id, "type", type=T.ATTRIBUTE_TYPE_STRING), metadata=admin)
    )
    assert set(field_violations(error)) == {"attribute.type"}
    error = await refused(catalog.UpdateAttribute(change(wear.id, "key", key="float"), metadata=admin))
    assert set(field_violations(error)) == {"attribute.key"}
    renamed = await catalog.UpdateAttribute(change(wear.id, "name", "key", name="Float", key="wear"), metadata=admin)
    assert (renamed.name, renamed.key, renamed.max) == ("Float", "wear", 1)


# The rule for changing attributes that stored values use -----------------------------------------


async def test_a_required_attribute_is_added_only_while_the_category_has_no_items(
    catalog, admin, skins, make_item, user
):
    required = await catalog.CreateAttribute(define(skins.category.id, key="float_seed", required=True), metadata=admin)
    assert required.required
    await make_item(user, template_id=skins.redline.id, wear=0.2, float_seed=True)
    await make_item(user, template_id=skins.redline.id, wear=0.3, float_seed=False)
    error = await refused(catalog.CreateAttribute(define(skins.category.id, required=True), metadata=admin))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "REQUIRED_ATTRIBUTE_WITH_ITEMS"
    assert error_metadata(error) == {"items": "2"}
    optional = await catalog.CreateAttribute(define(skins.category.id), metadata=admin)
    assert not optional.required


async def test_an_attribute_becomes_required_once_every_item_has_a_value(catalog, admin, skins, make_item, user):
    souvenir = await catalog.CreateAttribute(define(skins.category.id), metadata=admin)
    item = await make_item(user, template_id=skins.redline.id, wear=0.2)
    error = await refused(catalog.UpdateAttribute(change(souvenir.id, "required", required=True), metadata=admin))
    assert error_reason(error) == "ATTRIBUTE_CHANGE_BREAKS_VALUES"
    assert error_metadata(error) == {"items": "1", "templates": "0"}
    # The template gives its items the value; then nothing stands in the way.
    await catalog.UpdateTemplate(
        pb.UpdateTemplateRequest(
            template_id=skins.redline.id,
            template=resources_pb2.Template(attributes=values(rarity="Classified", souvenir=False)),
            update_mask=field_mask_pb2.FieldMask(paths=["attributes"]),
        ),
        metadata=admin,
    )
    assert plain((await catalog.GetItem(pb.GetItemRequest(item_id=item.id))).attributes)["souvenir"] is False
    made_required = await catalog.UpdateAttribute(change(souvenir.id, "required", required=True), metadata=admin)
    assert made_required.required


async def test_narrowing_bounds_is_refused_while_a_value_lies_outside(catalog, admin, skins, make_item, user):
    wear = skins.attributes["wear"]
    await make_item(user, template_id=skins.redline.id, wear=0.7)
    error = await refused(catalog.UpdateAttribute(change(wear.id, "max", max=0.5), metadata=admin))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "ATTRIBUTE_CHANGE_BREAKS_VALUES"
    assert error_metadata(error) == {"items": "1", "templates": "0"}
    assert (await catalog.GetAttribute(pb.GetAttributeRequest(attribute_id=wear.id))).max == 1
    assert (await catalog.UpdateAttribute(change(wear.id, "max", max=0.8), metadata=admin)).max == 0.8
    unbounded = await catalog.UpdateAttribute(change(wear.id, "min", "max"), metadata=admin)
    assert not unbounded.HasField("min") and not unbounded.HasField("max")


async def test_dropping_an_enum_value_is_refused_while_templates_and_items_use_it(
    catalog, admin, skins, make_item, user
):
    rarity = skins.attributes["rarity"]
    await make_item(user, template_id=skins.redline.id, wear=0.2)
    error = await refused(
        catalog.UpdateAttribute(
            change(rarity.id, "allowed_values", allowed_values=["Mil-Spec", "Restricted", "Covert"]), metadata=admin
        )
    )
    assert error_reason(error) == "ATTRIBUTE_CHANGE_BREAKS_VALUES"
    assert error_metadata(error) == {"items": "1", "templates": "1"}
    unused_dropped = await catalog.UpdateAttribute(
        change(rarity.id, "allowed_values", allowed_values=["Classified", "Covert", "Contraband"]), metadata=admin
    )
    assert list(unused_dropped.allowed_values) == ["Classified", "Covert", "Contraband"]


async def test_shortening_a_string_is_refused_while_a_value_is_longer(catalog, admin, skins, make_item, user):
    name_tag = skins.attributes["name_tag"]
    await make_item(user, template_id=skins.redline.id, wear=0.2, name_tag="twelve chars")
    error = await refused(catalog.UpdateAttribute(change(name_tag.id, "max_length", max_length=5), metadata=admin))
    assert error_metadata(error)["items"] == "1"
    assert (
        await catalog.UpdateAttribute(change(name_tag.id, "max_length", max_length=12), metadata=admin)
    ).max_length == 12


async def test_deleting_an_attribute_deletes_its_values_from_items_and_templates(
    catalog, admin, skins, make_item, user
):
    item = await make_item(user, template_id=skins.redline.id, wear=0.2, stattrak=True)
    rarity = skins.attributes["rarity"]
    deleted = await catalog.DeleteAttribute(pb.DeleteAttributeRequest(attribute_id=rarity.id), metadata=admin)
    assert deleted.key == "rarity"
    after = await catalog.GetItem(pb.GetItemRequest(item_id=item.id))
    assert plain(after.attributes) == {"wear": 0.2, "stattrak": True}
    assert after.update_time.ToDatetime() > item.update_time.ToDatetime()
    template = await catalog.GetTemplate(pb.GetTemplateRequest(template_id=skins.redline.id))
    assert dict(template.attributes) == {}
    error = await refused(catalog.GetAttribute(pb.GetAttributeRequest(attribute_id=rarity.id)))
    assert error_reason(error) == "ATTRIBUTE_NOT_FOUND"


async def test_an_unknown_attribute_is_not_found(catalog, admin):
    error = await refused(catalog.UpdateAttribute(change(str(uuid.uuid4()), "name", name="x"), metadata=admin))
    assert error.code() is grpc.StatusCode.NOT_FOUND


async def test_items_created_during_a_narrowing_never_end_up_outside_it(catalog, admin, skins, new_person):
    owner = new_person()
    wear = skins.attributes["wear"]

    async def create(value: float) -> bool:
        item = resources_pb2.Item(template_id=skins.redline.id, attributes=values(wear=value))
        try:
            await catalog.CreateItem(pb.CreateItemRequest(item=item), metadata=owner.auth)
        except grpc.aio.AioRpcError as error:
            assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
            return False
        return True

    async def narrow() -> bool:
        try:
            await catalog.UpdateAttribute(change(wear.id, "max", max=0.5), metadata=admin)
        except grpc.aio.AioRpcError as error:
            assert error_reason(error) == "ATTRIBUTE_CHANGE_BREAKS_VALUES"
            return False
        return True

    results = await asyncio.gather(*(create(0.9) for _ in range(8)), narrow(), *(create(0.9) for _ in range(8)))
    narrowed = results[8]
    items = await catalog.ListItems(pb.ListItemsRequest(category_id=skins.category.id, page_size=100))
    if narrowed:
        assert all(plain(item.attributes)["wear"] <= 0.5 for item in items.items)
    else:
        assert len(items.items) == sum(results[:8]) + sum(results[9:]) > 0
