"""Every admin change lands in the audit log, and every change in the outbox, with the change itself."""

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2, json_format

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import events_pb2, resources_pb2
from marketplace.common.v1 import audit_pb2
from servicekit.auth import Role
from testkit.feeds import events_until
from testkit.tokens import bearer, mint
from testkit.values import values

from .catalog_support import unique


@pytest.fixture
def audit_of(catalog, admin):
    """The audit entries about a resource, oldest first, as an admin reads them."""

    async def audit_of(resource_id: str) -> list[audit_pb2.AuditEntry]:
        reply = await catalog.ListAuditEntries(audit_pb2.ListAuditEntriesRequest(target_id=resource_id), metadata=admin)
        return list(reversed(reply.entries))

    return audit_of


def state(struct) -> dict | None:
    return json_format.MessageToDict(struct) if struct.ListFields() else None


async def test_who_changed_what_when_from_what_to_what(catalog, signing_key, audit_of):
    admin_id = uuid.uuid4()
    admin = bearer(mint(signing_key, user_id=admin_id, role=Role.ADMIN))
    game = await catalog.CreateGame(
        pb.CreateGameRequest(game=resources_pb2.Game(name=unique("Audited"))),
        metadata=(*admin, ("x-request-id", "req-create")),
    )
    await catalog.UpdateGame(
        pb.UpdateGameRequest(
            game_id=game.id,
            game=resources_pb2.Game(description="changed"),
            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
        ),
        metadata=admin,
    )
    await catalog.DeleteGame(pb.DeleteGameRequest(game_id=game.id), metadata=admin)
    entries = await audit_of(game.id)
    assert [(entry.action, entry.target_type, entry.target_id) for entry in entries] == [
        ("game.created", "game", game.id),
        ("game.updated", "game", game.id),
        ("game.deleted", "game", game.id),
    ]
    assert {entry.actor for entry in entries} == {f"user:{admin_id}"}
    assert [entry.request_id for entry in entries] == ["req-create", "", ""]
    created, updated, deleted = entries
    assert state(created.before) is None and state(created.after)["name"] == game.name
    assert (state(updated.before)["description"], state(updated.after)["description"]) == ("", "changed")
    assert state(deleted.before)["description"] == "changed" and state(deleted.after) is None
    times = [entry.create_time.ToDatetime() for entry in entries]
    assert times == sorted(times)


async def test_categories_attributes_and_templates_are_audited(skins, audit_of):
    assert [entry.action for entry in await audit_of(skins.category.id)] == ["category.created"]
    [wear] = await audit_of(skins.attributes["wear"].id)
    after = state(wear.after)
    assert (after["key"], after["type"], after["max"]) == ("wear", "number", 1.0)
    [template] = await audit_of(skins.redline.id)
    assert state(template.after)["attributes"] == {"rarity": "Classified"}


async def test_a_refused_change_leaves_no_entry(catalog, admin, skins, make_item, user, audit_of):
    await make_item(user, template_id=skins.redline.id, wear=0.9)
    wear = skins.attributes["wear"]
    with pytest.raises(grpc.aio.AioRpcError):
        await catalog.UpdateAttribute(
            pb.UpdateAttributeRequest(
                attribute_id=wear.id,
                attribute=resources_pb2.Attribute(max=0.5),
                update_mask=field_mask_pb2.FieldMask(paths=["max"]),
            ),
            metadata=admin,
        )
    assert [entry.action for entry in await audit_of(wear.id)] == ["attribute.created"]


def payloads(events, event_type: str, message_class) -> list:
    found = []
    for event in events:
        if event.type == event_type:
            message = message_class()
            event.payload.Unpack(message)
            found.append(message)
    return found


async def test_item_template_and_category_changes_reach_the_feed(stack, catalog, admin, skins, new_person, make_item):
    seller, buyer = new_person(), new_person()
    item = await make_item(seller.auth, template_id=skins.redline.id, wear=0.2)
    request_id = f"{uuid.uuid4()}:transfer"
    await catalog.TransferItem(
        pb.TransferItemRequest(request_id=request_id, item_id=item.id, from_owner_id=seller.id, to_owner_id=buyer.id)
    )
    await catalog.UpdateTemplate(
        pb.UpdateTemplateRequest(
            template_id=skins.redline.id,
            template=resources_pb2.Template(attributes=values(rarity="Covert")),
            update_mask=field_mask_pb2.FieldMask(paths=["attributes"]),
        ),
        metadata=admin,
    )

    def arrived(events) -> bool:
        return any(
            changed.item_id == item.id for changed in payloads(events, "catalog.item.changed", events_pb2.ItemChanged)
        )

    events = await events_until(stack.channel("catalog", as_service="messaging"), arrived)
    [created] = [e for e in payloads(events, "catalog.item.created", events_pb2.ItemCreated) if e.item_id == item.id]
    assert (created.owner_id, created.template_id, created.category_id) == (
        seller.id,
        skins.redline.id,
        skins.category.id,
    )
    [moved] = [
        e for e in payloads(events, "catalog.item.transferred", events_pb2.ItemTransferred) if e.item_id == item.id
    ]
    assert (moved.from_owner_id, moved.to_owner_id, moved.request_id) == (seller.id, buyer.id, request_id)
    [changed] = [e for e in payloads(events, "catalog.item.changed", events_pb2.ItemChanged) if e.item_id == item.id]
    assert (changed.owner_id, changed.category_id) == (buyer.id, skins.category.id)
    templates = [
        e
        for e in payloads(events, "catalog.template.changed", events_pb2.TemplateChanged)
        if e.template_id == skins.redline.id
    ]
    assert len(templates) == 2  # created, changed
    categories = [
        e
        for e in payloads(events, "catalog.category.changed", events_pb2.CategoryChanged)
        if e.category_id == skins.category.id
    ]
    assert len(categories) == 1 + len(skins.attributes)  # the category, then each attribute defined
    assert all(e.game_id == skins.game.id for e in categories)
