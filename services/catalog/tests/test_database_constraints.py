"""The database itself refuses what the service would: hand-written SQL that breaks the rules."""

import uuid

import asyncpg
import pytest

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2

from .catalog_support import SKIN_ATTRIBUTES, unique


@pytest.fixture
async def database(stack):
    connection = await asyncpg.connect(stack.database_urls["catalog"].replace("+asyncpg", ""))
    yield connection
    await connection.close()


@pytest.fixture
async def stored(skins, make_item, user):
    """An item of the skins category and the ids a hand-written insert needs."""
    item = await make_item(user, category_id=skins.category.id, name="Mine", wear=0.2, rarity="Covert")
    return {
        "item": uuid.UUID(item.id),
        "category": uuid.UUID(skins.category.id),
        **{key: uuid.UUID(attribute.id) for key, attribute in skins.attributes.items()},
    }


INSERT = (
    "INSERT INTO item_attribute_values"
    " (item_id, category_id, attribute_id, type, value_string, value_number, value_boolean)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


async def test_a_value_whose_type_is_not_its_attributes_is_refused(database, stored):
    # stattrak is a boolean attribute; a row claiming it is a string does not match its key.
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await database.execute(
            INSERT, stored["item"], stored["category"], stored["stattrak"], "string", "yes", None, None
        )


async def test_a_value_in_the_column_of_another_type_is_refused(database, stored):
    with pytest.raises(asyncpg.CheckViolationError):
        await database.execute(
            INSERT, stored["item"], stored["category"], stored["stattrak"], "boolean", "yes", None, None
        )


async def test_two_values_or_none_are_refused(database, stored):
    for row in (("boolean", None, 1.0, True), ("boolean", None, None, None)):
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute(INSERT, stored["item"], stored["category"], stored["stattrak"], *row)


async def test_an_integer_with_a_fraction_is_refused(database, stored):
    with pytest.raises(asyncpg.CheckViolationError) as err:
        await database.execute(
            INSERT, stored["item"], stored["category"], stored["pattern_index"], "integer", None, 4.5, None
        )
    assert err.value.constraint_name == "ck_item_attribute_values_integer_whole"


async def test_a_value_of_another_categorys_attribute_is_refused(database, stored, catalog, admin, game):
    other = await catalog.CreateCategory(
        pb.CreateCategoryRequest(game_id=game.id, category=resources_pb2.Category(name="Other")), metadata=admin
    )
    stattrak = await catalog.CreateAttribute(
        pb.CreateAttributeRequest(category_id=other.id, attribute=SKIN_ATTRIBUTES[2]), metadata=admin
    )
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await database.execute(
            INSERT, stored["item"], stored["category"], uuid.UUID(stattrak.id), "boolean", None, None, True
        )
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await database.execute(
            INSERT, stored["item"], uuid.UUID(other.id), uuid.UUID(stattrak.id), "boolean", None, None, True
        )


async def test_a_well_typed_value_goes_in(database, stored):
    await database.execute(INSERT, stored["item"], stored["category"], stored["stattrak"], "boolean", None, None, True)
    stored_value = await database.fetchval(
        "SELECT value_boolean FROM item_attribute_values WHERE item_id = $1 AND attribute_id = $2",
        stored["item"],
        stored["stattrak"],
    )
    assert stored_value is True


async def test_definitions_are_checked_too(database, stored):
    insert = (
        "INSERT INTO category_attributes (id, category_id, key, name, type, required, allowed_values, unit,"
        " filterable, display_order) VALUES ($1, $2, $3, 'X', $4, false, $5, '', false, 0)"
    )
    for key, kind, allowed in (("colour", "string", ["red"]), ("tier", "enum", []), ("Bad Key", "string", [])):
        with pytest.raises(asyncpg.CheckViolationError):
            await database.execute(insert, uuid.uuid4(), stored["category"], key, kind, allowed)


async def test_a_sub_category_stays_in_its_parents_game(database, stored, catalog, admin):
    elsewhere = await catalog.CreateGame(
        pb.CreateGameRequest(game=resources_pb2.Game(name=unique("G"))), metadata=admin
    )
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await database.execute(
            "INSERT INTO item_categories (id, game_id, parent_id, name, description) VALUES ($1, $2, $3, 'Sub', '')",
            uuid.uuid4(),
            uuid.UUID(elsewhere.id),
            stored["category"],
        )
