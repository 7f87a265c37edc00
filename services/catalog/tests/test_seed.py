"""`python -m catalog seed`: the demo catalog, and the same rows however often it runs."""

import asyncio
import os
import uuid

import asyncpg
import pytest

from catalog.app import SPEC
from catalog.seed_data import CATALOG
from servicekit.cli import main
from testkit.commands import run_command
from testkit.databases import create_migrated, drop

TABLES = ("games", "item_categories", "category_attributes", "item_templates", "template_attribute_values")


@pytest.fixture
async def empty_catalog(pg_server):
    name = f"seed_catalog_{uuid.uuid4().hex[:8]}"
    url = await create_migrated(pg_server, SPEC, name)
    yield url
    await drop(pg_server, name)


async def seed_process(database_url: str) -> None:
    """The command as `make run` calls it."""
    finished = await run_command("catalog", "seed", env=os.environ | {"DATABASE_URL": database_url})
    assert finished.returncode == 0, finished.stderr


async def seed_in_process(database_url: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    # In a thread: the command runs its own event loop.
    await asyncio.to_thread(main, SPEC, ["seed"])


async def snapshot(database_url: str) -> dict[str, list]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = {
            table: sorted(map(tuple, await connection.fetch(f"SELECT * FROM {table}")), key=str) for table in TABLES
        }
        rows["outbox_events"] = await connection.fetchval("SELECT count(*) FROM outbox_events")
        return rows
    finally:
        await connection.close()


async def test_seeding_twice_leaves_the_same_rows(empty_catalog, monkeypatch):
    await seed_process(empty_catalog)
    first = await snapshot(empty_catalog)
    await seed_in_process(empty_catalog, monkeypatch)
    assert await snapshot(empty_catalog) == first
    assert len(first["games"]) == len(CATALOG) == 4
    assert len(first["item_templates"]) == sum(len(c.templates) for g in CATALOG for c in g.categories)


async def test_the_demo_catalog_has_what_people_trade(empty_catalog, monkeypatch):
    await seed_in_process(empty_catalog, monkeypatch)
    connection = await asyncpg.connect(empty_catalog.replace("+asyncpg", ""))
    try:
        general = await connection.fetch(
            "SELECT c.name FROM item_categories c JOIN games g ON g.id = c.game_id WHERE g.name = 'General'"
        )
        assert {row["name"] for row in general} == {
            "Trading cards",
            "Men's fashion",
            "Sneakers",
            "Sports cards",
            "Collectibles",
            "Electronics",
            "Home decor",
            "Beauty",
            "Kids and baby",
            "Furniture",
            "Books",
            "Other",
        }
        skins = {
            row["key"]: row
            for row in await connection.fetch(
                "SELECT a.* FROM category_attributes a JOIN item_categories c ON c.id = a.category_id"
                " WHERE c.name = 'Weapon skins'"
            )
        }
        assert set(skins) == {"wear", "exterior", "rarity", "stattrak", "pattern_index", "weapon_type"}
        assert (skins["wear"]["type"], skins["wear"]["min_value"], skins["wear"]["max_value"]) == ("number", 0, 1)
        assert (skins["pattern_index"]["min_value"], skins["pattern_index"]["max_value"]) == (0, 999)
        assert skins["stattrak"]["type"] == "boolean"
        knives = await connection.fetchrow(
            "SELECT parent.name FROM item_categories c JOIN item_categories parent ON parent.id = c.parent_id"
            " WHERE c.name = 'Knives'"
        )
        assert knives["name"] == "Weapon skins"
        without_templates = await connection.fetchval(
            "SELECT count(*) FROM item_categories c WHERE NOT EXISTS"
            " (SELECT 1 FROM item_templates t WHERE t.category_id = c.id)"
        )
        assert without_templates == 0
        redline = await connection.fetch(
            "SELECT a.key, v.value_string FROM template_attribute_values v"
            " JOIN item_templates t ON t.id = v.template_id JOIN category_attributes a ON a.id = v.attribute_id"
            " WHERE t.name = 'AK-47 | Redline'"
        )
        assert {row["key"]: row["value_string"] for row in redline} == {"rarity": "Classified", "weapon_type": "Rifle"}
    finally:
        await connection.close()
