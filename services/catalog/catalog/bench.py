"""`python -m catalog bench [--items N] [--runs N]`: the typed item filter, with its indexes and without.

DATABASE_URL names an empty database of the bench's own (`python -m devstack bench --scenario
catalog` makes one and drops it after): the bench drops indexes in it and loads N items. It is
migrated to head and seeded like `make run`; 144 skin templates spread over the rarities join
the seeded ones; then N items (default 1,000,000) of "Weapon skins" with six typed values each
(wear, exterior, rarity, StatTrak, pattern index, weapon type) are loaded with COPY in batches.
The value table's keys and indexes are dropped for the load and rebuilt after it, as a bulk
load does; VACUUM ANALYZE then gives the planner its statistics and the visibility map.

The filter is the one of the issue, run through the catalog's own query
(catalog.repository.items.list_items: the page of ids, then the items with their values):

    wear 0.00..0.07, rarity Covert|Classified, StatTrak true, newest first, page of 20

It is timed with the per-attribute value indexes, then with them dropped; the figures are
p50/p95 of the runs, their ratio, and the EXPLAIN (ANALYZE) plan of each.

Rarities follow a marketplace-like mix (Mil-Spec common, Covert rare), wear is uniform, one
item in ten is StatTrak: about 0.07 x 0.10 x 0.10 = 0.07 % of the items match.
"""

import argparse
import asyncio
import math
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import make_url, select, text
from sqlalchemy.dialects import postgresql

from catalog import ROOT
from catalog.domain.attributes import Attribute
from catalog.models import Category, Template
from catalog.repository.attributes import attributes_of_category
from catalog.repository.items import filtered_items, list_items
from catalog.repository.templates import replace_template_values
from catalog.seed import seed_catalog
from devstack.bench.results import write_results
from servicekit.bulk import keys_rebuilt_after
from servicekit.config import PoolSettings, Settings
from servicekit.db import Database
from servicekit.filters import Filter, parse_filters
from servicekit.migrations import alembic_config, migrate, version_table
from servicekit.pagination import Page

BATCH = 20_000
FILTER = ["wear:0..0.07", "rarity:Covert|Classified", "stattrak:true"]
PAGE_SIZE = 20
RARITY_WEIGHTS = {
    "Consumer Grade": 8,
    "Industrial Grade": 12,
    "Mil-Spec": 45,
    "Restricted": 25,
    "Classified": 7,
    "Covert": 3,
}
WEAPON_TYPES = ("Pistol", "Rifle", "SMG", "Shotgun", "Machine Gun", "Sniper Rifle")
TEMPLATES_PER_KIND = 4
EXTERIORS = (
    (0.07, "Factory New"),
    (0.15, "Minimal Wear"),
    (0.38, "Field-Tested"),
    (0.45, "Well-Worn"),
    (1.0, "Battle-Scarred"),
)
VALUE_TABLE = "item_attribute_values"
VALUE_INDEXES = (
    "ix_item_attribute_values_string",
    "ix_item_attribute_values_number",
    "ix_item_attribute_values_boolean",
)
ITEM_COLUMNS = (
    "id",
    "category_id",
    "template_id",
    "owner_id",
    "name",
    "description",
    "image_url",
    "created_at",
    "updated_at",
)
VALUE_COLUMNS = ("item_id", "category_id", "attribute_id", "type", "value_string", "value_number", "value_boolean")


def exterior_of(wear: float) -> str:
    return next(name for bound, name in EXTERIORS if wear <= bound)


def asyncpg_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare(database_url: str) -> None:
    """Migrates and seeds the database, which must never have been migrated."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        if await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", version_table("catalog")):
            raise SystemExit("the bench needs an empty database of its own: it drops indexes and loads items")
    finally:
        await connection.close()
    print("migrating and seeding", flush=True)
    await asyncio.to_thread(migrate, alembic_config(ROOT, database_url), "catalog", "head")
    db = Database(database_url, PoolSettings(size=2))
    try:
        async with db.begin() as session:
            await seed_catalog(session)
    finally:
        await db.dispose()


async def add_templates(db: Database) -> tuple[uuid.UUID, dict[str, Attribute], list[tuple[uuid.UUID, str, str]]]:
    """The skins category, its attributes by key, and bench templates of every rarity and weapon type."""
    async with db.begin() as session:
        category_id = await session.scalar(select(Category.id).where(Category.name == "Weapon skins"))
        attributes = await attributes_of_category(session, category_id)
        templates = []
        for rarity in RARITY_WEIGHTS:
            for weapon in WEAPON_TYPES:
                for number in range(1, TEMPLATES_PER_KIND + 1):
                    template = Template(category_id=category_id, name=f"Bench {weapon} | {rarity} {number}")
                    session.add(template)
                    await session.flush()
                    values = {"rarity": rarity, "weapon_type": weapon}
                    await replace_template_values(session, template.id, category_id, attributes, values)
                    templates.append((template.id, rarity, weapon))
    return category_id, {attribute.key: attribute for attribute in attributes}, templates


def generate(count: int, category_id: uuid.UUID, attributes: dict[str, Attribute], templates: list, rng: random.Random):
    """Records of `count` items and of their six values each, for COPY."""
    by_rarity: dict[str, list] = {}
    for template in templates:
        by_rarity.setdefault(template[1], []).append(template)
    rarities, weights = list(RARITY_WEIGHTS), list(RARITY_WEIGHTS.values())
    owners = [uuid.uuid4() for _ in range(max(1, count // 20))]
    now = datetime.now(UTC)
    items, values = [], []
    ids = {key: attribute.id for key, attribute in attributes.items()}
    for rarity in rng.choices(rarities, weights, k=count):
        template_id, _, weapon = rng.choice(by_rarity[rarity])
        item_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        items.append((item_id, category_id, template_id, rng.choice(owners), "", "", "", created, created))
        wear = rng.random()
        values += [
            (item_id, category_id, ids["wear"], "number", None, wear, None),
            (item_id, category_id, ids["exterior"], "enum", exterior_of(wear), None, None),
            (item_id, category_id, ids["rarity"], "enum", rarity, None, None),
            (item_id, category_id, ids["stattrak"], "boolean", None, None, rng.random() < 0.1),
            (item_id, category_id, ids["pattern_index"], "integer", None, float(rng.randrange(1000)), None),
            (item_id, category_id, ids["weapon_type"], "enum", weapon, None, None),
        ]
    return items, values


class Progress:
    """A line of progress at every tenth of the work, and at its end."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.started, self.shown = what, total, time.monotonic(), 0

    def update(self, done: int) -> None:
        if done * 10 // self.total > self.shown * 10 // self.total or done == self.total:
            elapsed = time.monotonic() - self.started
            print(f"{self.what}: {done:,} of {self.total:,}, {elapsed:.0f} s", flush=True)
            self.shown = done


async def load(database_url: str, count: int, category_id, attributes, templates) -> float:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    started = time.monotonic()
    try:
        async with keys_rebuilt_after(connection, VALUE_TABLE):
            rng = random.Random(20261123)
            progress = Progress("loading items (COPY)", count)
            done = 0
            while done < count:
                size = min(BATCH, count - done)
                items, values = generate(size, category_id, attributes, templates, rng)
                async with connection.transaction():
                    await connection.copy_records_to_table("items", records=items, columns=ITEM_COLUMNS)
                    await connection.copy_records_to_table(VALUE_TABLE, records=values, columns=VALUE_COLUMNS)
                done += size
                progress.update(done)
            print("rebuilding keys and indexes", flush=True)
        await connection.execute(f"VACUUM ANALYZE items, {VALUE_TABLE}")
    finally:
        await connection.close()
    return time.monotonic() - started


async def time_filter(db: Database, category_id, filters: list[Filter], runs: int) -> list[float]:
    """Seconds of each run of the page query after two unmeasured ones."""
    timings = []
    for run in range(runs + 2):
        started = time.perf_counter()
        async with db.read() as session:
            found = await list_items(session, category_id, filters, Page(size=PAGE_SIZE))
        if run >= 2:
            timings.append(time.perf_counter() - started)
    if not found:
        raise RuntimeError("the filter matched no item")
    return timings


async def explain(db: Database, category_id, filters: list[Filter]) -> str:
    statement = filtered_items(category_id, filters, Page(size=PAGE_SIZE))
    sql = statement.compile(dialect=postgresql.asyncpg.dialect(), compile_kwargs={"literal_binds": True})
    async with db.read() as session:
        rows = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}"))
        return "\n".join(row[0] for row in rows)


def percentile(timings: list[float], fraction: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    ordered = sorted(timings)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1] * 1000


async def count_matching(db: Database, attributes: dict[str, Attribute]) -> int:
    async with db.read() as session:
        return await session.scalar(
            text(
                "SELECT count(*) FROM items i WHERE"
                " EXISTS (SELECT 1 FROM item_attribute_values v WHERE v.item_id = i.id AND v.attribute_id = :wear"
                "   AND v.value_number BETWEEN 0 AND 0.07)"
                " AND EXISTS (SELECT 1 FROM item_attribute_values v WHERE v.item_id = i.id AND v.attribute_id = :rarity"
                "   AND v.value_string IN ('Covert', 'Classified'))"
                " AND EXISTS (SELECT 1 FROM item_attribute_values v WHERE v.item_id = i.id AND v.attribute_id = :stattrak"
                "   AND v.value_boolean)"
            ),
            {key: attributes[key].id for key in ("wear", "rarity", "stattrak")},
        )


async def bench(database_url: str, count: int, runs: int) -> None:
    started = time.monotonic()
    await prepare(database_url)
    db = Database(database_url, PoolSettings(size=2))
    try:
        category_id, attributes, templates = await add_templates(db)
        seconds = await load(database_url, count, category_id, attributes, templates)
        print(f"loaded {count:,} items and {6 * count:,} values in {seconds:.0f} s")
        filters = parse_filters(attributes.values(), FILTER)
        matching = await count_matching(db, attributes)
        print(f"the filter {' '.join(FILTER)} matches {matching:,} items; a page is {PAGE_SIZE}")
        with_indexes = await time_filter(db, category_id, filters, runs)
        plan_with = await explain(db, category_id, filters)
        async with db.begin() as session:
            for name in VALUE_INDEXES:
                await session.execute(text(f"DROP INDEX {name}"))
        without_indexes = await time_filter(db, category_id, filters, max(5, runs // 3))
        plan_without = await explain(db, category_id, filters)
        report(with_indexes, without_indexes, plan_with, plan_without, count)
        print(f"whole scenario: {time.monotonic() - started:.0f} s")
    finally:
        await db.dispose()


def report(with_indexes: list[float], without_indexes: list[float], plan_with: str, plan_without: str, count: int):
    print(f"\ntyped filter on {count:,} items, page of {PAGE_SIZE}, newest first")
    print(f"{'value indexes':<14}{'runs':>6}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    figures: dict[str, object] = {"items": count, "page_size": PAGE_SIZE, "filter": FILTER}
    for name, timings in (("present", with_indexes), ("dropped", without_indexes)):
        p50, p95, mean = percentile(timings, 0.5), percentile(timings, 0.95), statistics.fmean(timings) * 1000
        print(f"{name:<14}{len(timings):>6}{p50:>10.1f}{p95:>10.1f}{mean:>10.1f}")
        figures[f"indexes {name}"] = {"runs": len(timings), "p50_ms": p50, "p95_ms": p95, "mean_ms": mean}
    p50 = percentile(without_indexes, 0.5) / percentile(with_indexes, 0.5)
    p95 = percentile(without_indexes, 0.95) / percentile(with_indexes, 0.95)
    print(f"dropped/present: p50 {p50:.1f}x, p95 {p95:.1f}x")
    write_results("catalog", figures, {"dropped/present p50": p50, "dropped/present p95": p95})
    print("\nEXPLAIN ANALYZE with the value indexes")
    print(plan_with)
    print("\nEXPLAIN ANALYZE with them dropped")
    print(plan_without)


def main(settings: Settings, argv: list[str]) -> None:
    """time the typed item filter on many items, with the value indexes and without"""
    parser = argparse.ArgumentParser(prog="python -m catalog bench", description=main.__doc__)
    parser.add_argument("--items", type=int, default=1_000_000, help="items to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=30, help="measured runs with the indexes (default 30)")
    args = parser.parse_args(argv)
    if args.items < 1 or args.runs < 1:
        parser.error("--items and --runs must be at least 1")
    try:
        asyncio.run(bench(settings.database_url, args.items, args.runs))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
