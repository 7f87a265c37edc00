"""The catalog through the gateway over HTTP: every Catalog endpoint of API.md, as a client sees it."""

import uuid

import asyncpg
import pytest

from servicekit.auth import Role
from testkit.api import bearer, detail, ok, violations
from testkit.tokens import mint

WEAR = {
    "name": "Wear",
    "key": "wear",
    "type": "ATTRIBUTE_TYPE_NUMBER",
    "required": True,
    "min": 0,
    "max": 1,
    "filterable": True,
    "display_order": 1,
}
RARITY = {
    "name": "Rarity",
    "key": "rarity",
    "type": "ATTRIBUTE_TYPE_ENUM",
    "required": True,
    "allowed_values": ["Mil-Spec", "Restricted", "Classified", "Covert"],
    "filterable": True,
    "display_order": 2,
}
STATTRAK = {
    "name": "StatTrak",
    "key": "stattrak",
    "type": "ATTRIBUTE_TYPE_BOOLEAN",
    "filterable": True,
    "display_order": 3,
}
PATTERN = {
    "name": "Pattern index",
    "key": "pattern_index",
    "type": "ATTRIBUTE_TYPE_INTEGER",
    "min": 0,
    "max": 999,
    "display_order": 4,
}


@pytest.fixture
def admin(signing_key):
    return bearer(mint(signing_key, role=Role.ADMIN))


@pytest.fixture
def user(signing_key):
    return bearer(mint(signing_key, role=Role.BOTH))


async def all_pages(api, path: str, field: str, headers: dict | None = None) -> list[dict]:
    """Every element of a list, read in pages of two."""
    found, token = [], ""
    while True:
        page = ok(await api.get(path, params={"page_size": 2, "page_token": token}, headers=headers))
        found += page[field]
        if not (token := page["next_page_token"]):
            return found


@pytest.fixture
async def skins(api, admin) -> dict:
    """A game with a CS2-like category, its four attributes and one template, made over HTTP."""
    game = ok(await api.post("/v1/games", json={"name": f"CS {uuid.uuid4().hex[:8]}"}, headers=admin))
    category = ok(await api.post(f"/v1/games/{game['id']}/categories", json={"name": "Weapon skins"}, headers=admin))
    attributes = {}
    for body in (WEAR, RARITY, STATTRAK, PATTERN):
        attributes[body["key"]] = ok(
            await api.post(f"/v1/categories/{category['id']}/attributes", json=body, headers=admin)
        )
    redline = ok(
        await api.post(
            f"/v1/categories/{category['id']}/templates",
            json={"name": "AK-47 | Redline", "attributes": {"rarity": "Classified"}},
            headers=admin,
        )
    )
    return {"game": game, "category": category, "attributes": attributes, "redline": redline}


async def test_games_are_created_read_changed_listed_and_deleted(api, admin):
    name = f"Game {uuid.uuid4().hex[:8]}"
    game = ok(await api.post("/v1/games", json={"name": name, "description": "old"}, headers=admin))
    changed = ok(await api.patch(f"/v1/games/{game['id']}", json={"description": "new"}, headers=admin))
    assert (changed["name"], changed["description"]) == (name, "new")
    assert ok(await api.get(f"/v1/games/{game['id']}"))["description"] == "new"
    assert name in [found["name"] for found in await all_pages(api, "/v1/games", "games")]
    assert ok(await api.delete(f"/v1/games/{game['id']}", headers=admin))["id"] == game["id"]
    assert (await api.get(f"/v1/games/{game['id']}")).status_code == 404


async def test_a_user_who_is_not_admin_cannot_manage_the_catalog(api, user, skins):
    refused = await api.post("/v1/games", json={"name": "Nope"}, headers=user)
    assert refused.status_code == 403
    assert refused.json()["status"] == "PERMISSION_DENIED"
    category_id = skins["category"]["id"]
    for method, path, body in (
        ("PATCH", f"/v1/games/{skins['game']['id']}", {"name": "x"}),
        ("POST", f"/v1/games/{skins['game']['id']}/categories", {"name": "x"}),
        ("DELETE", f"/v1/categories/{category_id}", None),
        ("POST", f"/v1/categories/{category_id}/attributes", STATTRAK | {"key": "other"}),
        ("PATCH", f"/v1/attributes/{skins['attributes']['wear']['id']}", {"max": 0.5}),
        ("POST", f"/v1/categories/{category_id}/templates", {"name": "x"}),
    ):
        response = await api.request(method, path, json=body, headers=user)
        assert response.status_code == 403, (method, path, response.text)
    assert (await api.post("/v1/games", json={"name": "Nope"})).status_code == 401


async def test_categories_are_created_listed_changed_and_deleted(api, admin, skins):
    game_id = skins["game"]["id"]
    knives = ok(
        await api.post(
            f"/v1/games/{game_id}/categories",
            json={"name": "Knives", "parent_id": skins["category"]["id"]},
            headers=admin,
        )
    )
    assert knives["parent_id"] == skins["category"]["id"]
    listed = await all_pages(api, f"/v1/games/{game_id}/categories", "categories")
    assert [category["name"] for category in listed] == ["Knives", "Weapon skins"]
    renamed = ok(await api.patch(f"/v1/categories/{knives['id']}", json={"name": "★ Knives"}, headers=admin))
    assert renamed["name"] == "★ Knives" and renamed["parent_id"] == skins["category"]["id"]
    assert ok(await api.get(f"/v1/categories/{knives['id']}"))["name"] == "★ Knives"
    taken = await api.post(f"/v1/games/{game_id}/categories", json={"name": "weapon skins"}, headers=admin)
    assert taken.status_code == 409
    assert ok(await api.delete(f"/v1/categories/{knives['id']}", headers=admin))["id"] == knives["id"]
    assert (await api.get(f"/v1/categories/{knives['id']}")).status_code == 404


async def test_deleting_what_is_in_use_is_409(api, admin, user, skins):
    in_use = await api.delete(f"/v1/games/{skins['game']['id']}", headers=admin)
    assert in_use.status_code == 409
    assert detail(in_use, "ErrorInfo")["reason"] == "GAME_HAS_CATEGORIES"
    ok(
        await api.post(
            "/v1/items", json={"template_id": skins["redline"]["id"], "attributes": {"wear": 0.3}}, headers=user
        )
    )
    has_items = await api.delete(f"/v1/categories/{skins['category']['id']}", headers=admin)
    assert has_items.status_code == 409
    assert detail(has_items, "ErrorInfo")["reason"] == "CATEGORY_HAS_ITEMS"
    template_in_use = await api.delete(f"/v1/templates/{skins['redline']['id']}", headers=admin)
    assert template_in_use.status_code == 409


async def test_attributes_are_defined_listed_changed_and_deleted(api, admin, skins):
    category_id = skins["category"]["id"]
    listed = await all_pages(api, f"/v1/categories/{category_id}/attributes", "attributes")
    assert [attribute["key"] for attribute in listed] == ["wear", "rarity", "stattrak", "pattern_index"]
    wear = listed[0]
    assert (wear["type"], wear["min"], wear["max"], wear["required"]) == ("ATTRIBUTE_TYPE_NUMBER", 0, 1, True)
    stattrak = skins["attributes"]["stattrak"]
    changed = ok(await api.patch(f"/v1/attributes/{stattrak['id']}", json={"name": "StatTrak™"}, headers=admin))
    assert (changed["name"], changed["key"], changed["type"]) == ("StatTrak™", "stattrak", "ATTRIBUTE_TYPE_BOOLEAN")
    retyped = await api.patch(f"/v1/attributes/{stattrak['id']}", json={"type": "ATTRIBUTE_TYPE_STRING"}, headers=admin)
    assert retyped.status_code == 400 and violations(retyped) == {"attribute.type"}
    assert ok(await api.get(f"/v1/attributes/{stattrak['id']}"))["name"] == "StatTrak™"
    assert ok(await api.delete(f"/v1/attributes/{stattrak['id']}", headers=admin))["key"] == "stattrak"
    assert (await api.get(f"/v1/attributes/{stattrak['id']}")).status_code == 404
    bad = await api.post(
        f"/v1/categories/{category_id}/attributes",
        json={"name": " ", "key": "Bad", "type": "ATTRIBUTE_TYPE_ENUM"},
        headers=admin,
    )
    assert bad.status_code == 400
    assert violations(bad) == {"attribute.name", "attribute.key", "attribute.allowed_values"}


async def test_templates_are_created_listed_read_and_changed(api, admin, skins):
    category_id = skins["category"]["id"]
    asiimov = ok(
        await api.post(
            f"/v1/categories/{category_id}/templates",
            json={"name": "AWP | Asiimov", "description": "Sci-fi.", "attributes": {"rarity": "Covert"}},
            headers=admin,
        )
    )
    assert asiimov["attributes"] == {"rarity": "Covert"}
    listed = await all_pages(api, f"/v1/categories/{category_id}/templates", "templates")
    assert [template["name"] for template in listed] == ["AK-47 | Redline", "AWP | Asiimov"]
    assert ok(await api.get(f"/v1/templates/{asiimov['id']}")) == asiimov
    changed = ok(
        await api.patch(f"/v1/templates/{asiimov['id']}", json={"attributes": {"rarity": "Classified"}}, headers=admin)
    )
    assert changed["attributes"] == {"rarity": "Classified"} and changed["description"] == "Sci-fi."
    bad = await api.post(
        f"/v1/categories/{category_id}/templates",
        json={"name": "Bad", "attributes": {"rarity": "Gold", "wear": "worn"}},
        headers=admin,
    )
    assert bad.status_code == 400
    assert violations(bad) == {"template.attributes.rarity", "template.attributes.wear"}
    assert ok(await api.delete(f"/v1/templates/{asiimov['id']}", headers=admin))["id"] == asiimov["id"]


async def test_an_item_is_created_read_and_listed_in_the_inventory(api, signing_key, skins):
    owner_id = uuid.uuid4()
    owner = bearer(mint(signing_key, user_id=owner_id))
    created = ok(
        await api.post(
            "/v1/items",
            json={
                "template_id": skins["redline"]["id"],
                "attributes": {"wear": 0.03, "stattrak": True, "pattern_index": 661},
            },
            headers=owner,
        )
    )
    assert created["owner_id"] == str(owner_id)
    assert created["name"] == "AK-47 | Redline" and created["game_id"] == skins["game"]["id"]
    assert created["attributes"] == {"wear": 0.03, "rarity": "Classified", "stattrak": True, "pattern_index": 661}
    assert ok(await api.get(f"/v1/items/{created['id']}")) == created
    second = ok(
        await api.post(
            "/v1/items",
            json={
                "category_id": skins["category"]["id"],
                "name": "Souvenir",
                "attributes": {"wear": 0.5, "rarity": "Covert"},
            },
            headers=owner,
        )
    )
    inventory = await all_pages(api, "/v1/users/me/items", "items", headers=owner)
    assert [item["id"] for item in inventory] == [second["id"], created["id"]]
    assert (await api.get("/v1/users/me/items")).status_code == 401
    assert (await api.get(f"/v1/items/{uuid.uuid4()}")).status_code == 404


async def test_an_item_with_three_bad_values_gets_one_400_naming_all_three(api, user, skins):
    response = await api.post(
        "/v1/items",
        json={
            "template_id": skins["redline"]["id"],
            "attributes": {"wear": 1.5, "stattrak": "yes", "pattern_index": 1000},
        },
        headers=user,
    )
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "INVALID_ARGUMENT"
    assert violations(response) == {"item.attributes.wear", "item.attributes.stattrak", "item.attributes.pattern_index"}


async def test_items_of_a_category_are_filtered_by_typed_values(api, admin, user, skins):
    category_id = skins["category"]["id"]
    covert = ok(
        await api.post(
            f"/v1/categories/{category_id}/templates",
            json={"name": "AWP | Asiimov", "attributes": {"rarity": "Covert"}},
            headers=admin,
        )
    )

    async def item(template: dict, wear: float, stattrak: bool) -> str:
        body = {"template_id": template["id"], "attributes": {"wear": wear, "stattrak": stattrak}}
        return ok(await api.post("/v1/items", json=body, headers=user))["id"]

    wanted = [await item(skins["redline"], 0.0, True), await item(covert, 0.07, True)]
    await item(covert, 0.071, True)
    await item(skins["redline"], 0.05, False)
    response = ok(
        await api.get(
            f"/v1/categories/{category_id}/items",
            params=[
                ("attributes", "wear:0..0.07"),
                ("attributes", "rarity:Covert|Classified"),
                ("attributes", "stattrak:true"),
            ],
        )
    )
    assert [found["id"] for found in response["items"]] == list(reversed(wanted))
    bad = await api.get(f"/v1/categories/{category_id}/items", params={"attributes": "pattern_index:1"})
    assert bad.status_code == 400 and violations(bad) == {"attributes[0]"}


async def test_a_change_that_would_invalidate_stored_values_is_409_with_the_count(api, admin, user, skins):
    """The written rule (services/catalog/README.md): never leave an item silently invalid."""
    category_id = skins["category"]["id"]
    for wear in (0.2, 0.8, 0.9):
        body = {"template_id": skins["redline"]["id"], "attributes": {"wear": wear}}
        ok(await api.post("/v1/items", json=body, headers=user))
    wear = skins["attributes"]["wear"]
    narrowed = await api.patch(f"/v1/attributes/{wear['id']}", json={"max": 0.5}, headers=admin)
    assert narrowed.status_code == 409
    info = detail(narrowed, "ErrorInfo")
    assert (info["reason"], info["metadata"]) == ("ATTRIBUTE_CHANGE_BREAKS_VALUES", {"items": "2", "templates": "0"})
    assert ok(await api.get(f"/v1/attributes/{wear['id']}"))["max"] == 1
    assert ok(await api.patch(f"/v1/attributes/{wear['id']}", json={"max": 0.95}, headers=admin))["max"] == 0.95

    rarity = skins["attributes"]["rarity"]
    dropped = await api.patch(
        f"/v1/attributes/{rarity['id']}", json={"allowed_values": ["Mil-Spec", "Covert"]}, headers=admin
    )
    assert dropped.status_code == 409
    assert detail(dropped, "ErrorInfo")["metadata"] == {"items": "3", "templates": "1"}

    required = await api.post(
        f"/v1/categories/{category_id}/attributes",
        json={"name": "Souvenir", "key": "souvenir", "type": "ATTRIBUTE_TYPE_BOOLEAN", "required": True},
        headers=admin,
    )
    assert required.status_code == 409
    info = detail(required, "ErrorInfo")
    assert (info["reason"], info["metadata"]) == ("REQUIRED_ATTRIBUTE_WITH_ITEMS", {"items": "3"})
    optional = ok(
        await api.post(
            f"/v1/categories/{category_id}/attributes",
            json={"name": "Souvenir", "key": "souvenir", "type": "ATTRIBUTE_TYPE_BOOLEAN"},
            headers=admin,
        )
    )
    made_required = await api.patch(f"/v1/attributes/{optional['id']}", json={"required": True}, headers=admin)
    assert made_required.status_code == 409
    assert detail(made_required, "ErrorInfo")["metadata"]["items"] == "3"


async def test_the_database_rejects_a_value_whose_type_does_not_match_its_attribute(api, stack, user, skins):
    item = ok(
        await api.post(
            "/v1/items", json={"template_id": skins["redline"]["id"], "attributes": {"wear": 0.4}}, headers=user
        )
    )
    connection = await asyncpg.connect(stack.database_urls["catalog"].replace("+asyncpg", ""))
    try:
        insert = (
            "INSERT INTO item_attribute_values"
            " (item_id, category_id, attribute_id, type, value_string, value_number, value_boolean)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        ids = (
            uuid.UUID(item["id"]),
            uuid.UUID(skins["category"]["id"]),
            uuid.UUID(skins["attributes"]["stattrak"]["id"]),
        )
        # StatTrak is a boolean: a string value is refused whether the row claims the string type or not.
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await connection.execute(insert, *ids, "string", "yes", None, None)
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(insert, *ids, "boolean", "yes", None, None)
    finally:
        await connection.close()
