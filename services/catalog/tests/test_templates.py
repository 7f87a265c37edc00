import grpc
import pytest
from google.protobuf import field_mask_pb2

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2
from testkit.grpc import error_reason, field_violations
from testkit.values import plain, values


def template(category_id: str, name: str, **attributes) -> pb.CreateTemplateRequest:
    return pb.CreateTemplateRequest(
        category_id=category_id, template=resources_pb2.Template(name=name, attributes=values(**attributes))
    )


def change(template_id: str, *paths: str, **fields) -> pb.UpdateTemplateRequest:
    return pb.UpdateTemplateRequest(
        template_id=template_id,
        template=resources_pb2.Template(**fields),
        update_mask=field_mask_pb2.FieldMask(paths=list(paths)),
    )


async def test_a_template_keeps_its_typed_values(catalog, admin, skins):
    created = await catalog.CreateTemplate(
        template(skins.category.id, "AWP | Dragon Lore", rarity="Covert", stattrak=False, pattern_index=7),
        metadata=admin,
    )
    assert plain(created.attributes) == {"rarity": "Covert", "stattrak": False, "pattern_index": 7}
    assert await catalog.GetTemplate(pb.GetTemplateRequest(template_id=created.id)) == created


async def test_a_template_with_bad_fields_and_values_names_them_all(catalog, admin, skins):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateTemplate(
            template(skins.category.id, " ", rarity="Gold", wear="worn", float=1), metadata=admin
        )
    assert set(field_violations(err.value)) == {
        "template.name",
        "template.attributes.rarity",
        "template.attributes.wear",
        "template.attributes.float",
    }


async def test_template_names_are_unique_in_a_category_and_only_admins_create(catalog, admin, user, skins):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateTemplate(template(skins.category.id, "ak-47 | redline"), metadata=admin)
    assert error_reason(err.value) == "TEMPLATE_NAME_TAKEN"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateTemplate(template(skins.category.id, "Other"), metadata=user)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_templates_are_listed_by_name_in_pages(catalog, admin, skins):
    for name in ("Zeus | Olympus", "MP9 | Hot Rod", "Glock-18 | Fade"):
        await catalog.CreateTemplate(template(skins.category.id, name), metadata=admin)
    seen, token = [], ""
    while True:
        page = await catalog.ListTemplates(
            pb.ListTemplatesRequest(category_id=skins.category.id, page_size=2, page_token=token)
        )
        seen += [found.name for found in page.templates]
        if not (token := page.next_page_token):
            break
    assert seen == ["AK-47 | Redline", "Glock-18 | Fade", "MP9 | Hot Rod", "Zeus | Olympus"]


async def test_a_changed_template_changes_its_items(catalog, admin, skins, make_item, user):
    item = await make_item(user, template_id=skins.redline.id, wear=0.2, stattrak=True)
    changed = await catalog.UpdateTemplate(
        change(
            skins.redline.id,
            "name",
            "attributes",
            name="AK-47 | Redline (Field-Tested)",
            attributes=values(rarity="Covert", stattrak=False),
        ),
        metadata=admin,
    )
    assert plain(changed.attributes) == {"rarity": "Covert", "stattrak": False}
    after = await catalog.GetItem(pb.GetItemRequest(item_id=item.id))
    assert after.name == "AK-47 | Redline (Field-Tested)"
    assert plain(after.attributes) == {"wear": 0.2, "rarity": "Covert", "stattrak": False}
    assert after.update_time.ToDatetime() > item.update_time.ToDatetime()
    # A key the template drops stays on its items as their own value.
    await catalog.UpdateTemplate(
        change(skins.redline.id, "attributes", attributes=values(rarity="Covert")), metadata=admin
    )
    kept = await catalog.GetItem(pb.GetItemRequest(item_id=item.id))
    assert plain(kept.attributes) == {"wear": 0.2, "rarity": "Covert", "stattrak": False}


async def test_a_template_change_is_checked_against_the_category(catalog, admin, skins):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.UpdateTemplate(
            change(skins.redline.id, "attributes", "image_url", attributes=values(wear=2), image_url="nope"),
            metadata=admin,
        )
    assert set(field_violations(err.value)) == {"template.attributes.wear", "template.image_url"}


async def test_a_template_is_deleted_only_when_no_item_is_made_from_it(catalog, admin, skins, make_item, user):
    spare = await catalog.CreateTemplate(template(skins.category.id, "Spare", rarity="Covert"), metadata=admin)
    deleted = await catalog.DeleteTemplate(pb.DeleteTemplateRequest(template_id=spare.id), metadata=admin)
    assert deleted.name == "Spare" and plain(deleted.attributes) == {"rarity": "Covert"}
    await make_item(user, template_id=skins.redline.id, wear=0.2)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.DeleteTemplate(pb.DeleteTemplateRequest(template_id=skins.redline.id), metadata=admin)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(err.value) == "TEMPLATE_HAS_ITEMS"
