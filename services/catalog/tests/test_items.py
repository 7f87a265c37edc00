import uuid

import grpc
import pytest

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2
from testkit.grpc import error_reason, field_violations
from testkit.values import plain, values


async def test_an_item_of_a_template_is_owned_by_its_creator_and_carries_the_templates_values(
    catalog, skins, new_person, make_item
):
    owner = new_person()
    item = await make_item(owner.auth, template_id=skins.redline.id, wear=0.03, stattrak=True, pattern_index=661)
    assert item.owner_id == owner.id
    assert item.category_id == skins.category.id and item.game_id == skins.game.id
    assert item.name == "AK-47 | Redline"
    assert plain(item.attributes) == {"wear": 0.03, "rarity": "Classified", "stattrak": True, "pattern_index": 661}
    fetched = await catalog.GetItem(pb.GetItemRequest(item_id=item.id))
    assert fetched == item


async def test_an_item_without_a_template_names_its_category_and_itself(skins, new_person, make_item):
    item = await make_item(
        new_person().auth, category_id=skins.category.id, name="My AK", wear=0.5, rarity="Covert", name_tag="my gun"
    )
    assert item.template_id == "" and item.category_id == skins.category.id and item.name == "My AK"
    assert plain(item.attributes)["name_tag"] == "my gun"


async def test_every_bad_value_is_named_at_once(catalog, skins, user):
    item = resources_pb2.Item(
        template_id=skins.redline.id,
        attributes=values(wear=1.5, stattrak="yes", pattern_index=3.5, colour="red", name_tag="x" * 21),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateItem(pb.CreateItemRequest(item=item), metadata=user)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(err.value)) == {
        "item.attributes.wear",
        "item.attributes.stattrak",
        "item.attributes.pattern_index",
        "item.attributes.colour",
        "item.attributes.name_tag",
    }


async def test_a_missing_required_value_and_a_value_not_in_the_enum_are_named(catalog, skins, user):
    item = resources_pb2.Item(category_id=skins.category.id, name="x", attributes=values(rarity="Legendary"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateItem(pb.CreateItemRequest(item=item), metadata=user)
    problems = field_violations(err.value)
    assert set(problems) == {"item.attributes.wear", "item.attributes.rarity"}
    assert problems["item.attributes.wear"] == "is required"
    assert "Covert" in problems["item.attributes.rarity"]


async def test_a_value_the_template_fixes_must_equal_it(catalog, skins, user):
    item = resources_pb2.Item(template_id=skins.redline.id, attributes=values(wear=0.2, rarity="Covert"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateItem(pb.CreateItemRequest(item=item), metadata=user)
    assert set(field_violations(err.value)) == {"item.attributes.rarity"}


async def test_an_item_needs_a_template_or_a_category_that_exists(catalog, user):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateItem(pb.CreateItemRequest(item=resources_pb2.Item(name="x")), metadata=user)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:
        item = resources_pb2.Item(template_id=str(uuid.uuid4()))
        await catalog.CreateItem(pb.CreateItemRequest(item=item), metadata=user)
    assert err.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_reason(err.value) == "TEMPLATE_NOT_FOUND"


async def test_repeating_a_request_id_creates_the_item_once(catalog, skins, user):
    request = pb.CreateItemRequest(
        item=resources_pb2.Item(template_id=skins.redline.id, attributes=values(wear=0.1)), request_id="one"
    )
    first = await catalog.CreateItem(request, metadata=user)
    second = await catalog.CreateItem(request, metadata=user)
    assert first.id == second.id


async def test_the_inventory_lists_the_callers_items_newest_first_in_pages(catalog, skins, new_person, make_item):
    owner, other = new_person(), new_person()
    made = [await make_item(owner.auth, template_id=skins.redline.id, wear=i / 10) for i in range(5)]
    await make_item(other.auth, template_id=skins.redline.id, wear=0.9)
    seen, token = [], ""
    while True:
        page = await catalog.ListMyItems(pb.ListMyItemsRequest(page_size=2, page_token=token), metadata=owner.auth)
        seen += [item.id for item in page.items]
        if not (token := page.next_page_token):
            break
    assert seen == [item.id for item in reversed(made)]


async def test_typed_filters_select_items_by_range_any_of_and_flag(catalog, admin, skins, new_person, make_item):
    owner = new_person()
    covert = await catalog.CreateTemplate(
        pb.CreateTemplateRequest(
            category_id=skins.category.id,
            template=resources_pb2.Template(name="AWP | Asiimov", attributes=values(rarity="Covert")),
        ),
        metadata=admin,
    )
    wanted = [
        await make_item(owner.auth, template_id=skins.redline.id, wear=0.01, stattrak=True),
        await make_item(owner.auth, template_id=covert.id, wear=0.07, stattrak=True),
    ]
    await make_item(owner.auth, template_id=skins.redline.id, wear=0.08, stattrak=True)  # too worn
    await make_item(owner.auth, template_id=covert.id, wear=0.02, stattrak=False)  # no StatTrak
    await make_item(owner.auth, category_id=skins.category.id, name="x", wear=0.02, rarity="Mil-Spec", stattrak=True)
    found = await catalog.ListItems(
        pb.ListItemsRequest(
            category_id=skins.category.id,
            attributes=["wear:0..0.07", "rarity:Covert|Classified", "stattrak:true"],
        )
    )
    assert [item.id for item in found.items] == [item.id for item in reversed(wanted)]
    open_range = await catalog.ListItems(
        pb.ListItemsRequest(category_id=skins.category.id, attributes=["wear:0.075..", "stattrak:true"])
    )
    assert len(open_range.items) == 1


async def test_bad_filters_are_each_named(catalog, skins):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.ListItems(
            pb.ListItemsRequest(
                category_id=skins.category.id,
                attributes=[
                    "wear",
                    "colour:red",
                    "name_tag:x",
                    "rarity:Gold",
                    "stattrak:maybe",
                    "wear:..",
                    "rarity:1..2",
                ],
            )
        )
    assert set(field_violations(err.value)) == {f"attributes[{index}]" for index in range(7)}


async def test_transfer_moves_the_item_once_per_request_id(catalog, skins, new_person, make_item):
    seller, buyer = new_person(), new_person()
    item = await make_item(seller.auth, template_id=skins.redline.id, wear=0.2)
    request = pb.TransferItemRequest(
        request_id=f"{uuid.uuid4()}:transfer", item_id=item.id, from_owner_id=seller.id, to_owner_id=buyer.id
    )
    moved = await catalog.TransferItem(request)
    again = await catalog.TransferItem(request)
    assert moved.owner_id == again.owner_id == buyer.id
    assert moved.update_time.ToDatetime() >= item.update_time.ToDatetime()
    mine = await catalog.ListMyItems(pb.ListMyItemsRequest(), metadata=buyer.auth)
    assert [found.id for found in mine.items] == [item.id]
    late = pb.TransferItemRequest(
        request_id=f"{uuid.uuid4()}:transfer", item_id=item.id, from_owner_id=seller.id, to_owner_id=buyer.id
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.TransferItem(late)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(err.value) == "ITEM_OWNER_CHANGED"
