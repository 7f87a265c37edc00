"""Benchmark "catalog": the typed item filter on a million CS2 skins, with its indexes and without.

A private database (bench_catalog, dropped at the end) is migrated to head and seeded like
`make run`; 144 skin templates spread over the rarities join the seeded ones; then N items
(default 1,000,000) of "Weapon skins" with six typed values each (wear, exterior, rarity,
StatTrak, pattern index, weapon type) are loaded with COPY in batches under a progress bar.
The value table's keys and indexes are dropped for the load and rebuilt after it, as a bulk
load does; VACUUM ANALYZE then gives the planner its statistics and the visibility map.

The filter is the one of the issue, run through the catalog's own query
(catalog.repository.list_items: the page of ids, then the items with their values):

    wear 0.00..0.07, rarity Covert|Classified, StatTrak true, newest first, page of 20

It is timed with the per-attribute value indexes, then with them dropped; the figures are
p50/p95 of the runs, their ratio, and the EXPLAIN (ANALYZE) plan of each.

Rarities follow a marketplace-like mix (Mil-Spec common, Covert rare), wear is uniform, one
item in ten is StatTrak: about 0.07 x 0.10 x 0.10 = 0.07 % of the items match.
"""

import asyncio
import math
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from catalog import repository
from catalog.app import SPEC
from catalog.attributes import parse_filters, stored_columns
from catalog.models import Category, Template, TemplateValue
from catalog.seed import seed_catalog
from devstack.bench.load import machine_summary
from devstack.postgres import create_database, database_url, drop_database, find_server, service_url
from servicekit.db import Database
from servicekit.migrations import alembic_config, migrate
from servicekit.pagination import Page

DB_NAME = "bench_catalog"
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


async def prepare(server: str, console: Console) -> str:
    await drop_database(server, DB_NAME)
    await create_database(server, DB_NAME)
    url = service_url(server, DB_NAME)
    console.print("[bold]migrating and seeding[/] bench_catalog")
    await asyncio.to_thread(migrate, alembic_config(SPEC.root, url), SPEC.name, "head")
    db = Database(url, pool_size=2)
    try:
        async with db.begin() as session:
            await seed_catalog(session)
    finally:
        await db.dispose()
    return url


async def add_templates(db: Database) -> tuple[uuid.UUID, dict, list[tuple[uuid.UUID, str, str]]]:
    """The skins category, its attribute specs by key, and bench templates of every rarity and weapon type."""
    async with db.begin() as session:
        category_id = await session.scalar(select(Category.id).where(Category.name == "Weapon skins"))
        specs = {spec.key: spec for spec in await repository.attribute_specs(session, category_id)}
        templates = []
        for rarity in RARITY_WEIGHTS:
            for weapon in WEAPON_TYPES:
                for number in range(1, TEMPLATES_PER_KIND + 1):
                    template = Template(category_id=category_id, name=f"Bench {weapon} | {rarity} {number}")
                    session.add(template)
                    await session.flush()
                    for key, value in (("rarity", rarity), ("weapon_type", weapon)):
                        session.add(
                            TemplateValue(
                                template_id=template.id,
                                category_id=category_id,
                                attribute_id=specs[key].id,
                                type=specs[key].type,
                                **stored_columns(specs[key].type, value),
                            )
                        )
                    templates.append((template.id, rarity, weapon))
    return category_id, specs, templates


def generate(count: int, category_id: uuid.UUID, specs: dict, templates: list, rng: random.Random):
    """Records of `count` items and of their six values each, for COPY."""
    by_rarity: dict[str, list] = {}
    for template in templates:
        by_rarity.setdefault(template[1], []).append(template)
    rarities, weights = list(RARITY_WEIGHTS), list(RARITY_WEIGHTS.values())
    owners = [uuid.uuid4() for _ in range(max(1, count // 20))]
    now = datetime.now(UTC)
    items, values = [], []
    ids = {key: spec.id for key, spec in specs.items()}
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


async def value_table_keys(connection: asyncpg.Connection) -> tuple[list, list]:
    """The value table's primary and foreign keys and its indexes, as statements that make them again."""
    constraints = await connection.fetch(
        "SELECT conname, contype, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND contype IN ('p', 'f') ORDER BY contype DESC",
        VALUE_TABLE,
    )
    indexes = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexname <> ALL($2::text[])",
        VALUE_TABLE,
        [row["conname"] for row in constraints],
    )
    return list(constraints), list(indexes)


async def load(url: str, count: int, category_id, specs, templates, console: Console) -> float:
    connection = await asyncpg.connect(database_url(url, DB_NAME))
    started = time.monotonic()
    try:
        constraints, indexes = await value_table_keys(connection)
        for row in reversed(constraints):  # foreign keys first, then the primary key
            await connection.execute(f'ALTER TABLE {VALUE_TABLE} DROP CONSTRAINT "{row["conname"]}"')
        for row in indexes:
            await connection.execute(f'DROP INDEX "{row["indexname"]}"')
        rng = random.Random(20261123)
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("loading items (COPY)", total=count)
            done = 0
            while done < count:
                size = min(BATCH, count - done)
                items, values = generate(size, category_id, specs, templates, rng)
                async with connection.transaction():
                    await connection.copy_records_to_table("items", records=items, columns=ITEM_COLUMNS)
                    await connection.copy_records_to_table(VALUE_TABLE, records=values, columns=VALUE_COLUMNS)
                done += size
                progress.update(task, completed=done)
            rebuild = progress.add_task("rebuilding keys and indexes", total=len(constraints) + len(indexes) + 1)
            await connection.execute("SET maintenance_work_mem = '512MB'")
            for row in constraints:  # primary key first, then the foreign keys (validated in bulk)
                await connection.execute(
                    f'ALTER TABLE {VALUE_TABLE} ADD CONSTRAINT "{row["conname"]}" {row["definition"]}'
                )
                progress.advance(rebuild)
            for row in indexes:
                await connection.execute(row["indexdef"])
                progress.advance(rebuild)
            await connection.execute(f"VACUUM ANALYZE items, {VALUE_TABLE}")
            progress.advance(rebuild)
    finally:
        await connection.close()
    return time.monotonic() - started


async def time_filter(db: Database, category_id, filters, runs: int) -> list[float]:
    """Seconds of each run of the page query after two unmeasured ones."""
    timings = []
    for run in range(runs + 2):
        started = time.perf_counter()
        async with db.read() as session:
            found = await repository.list_items(session, category_id, filters, Page(size=PAGE_SIZE))
        if run >= 2:
            timings.append(time.perf_counter() - started)
    if not found:
        raise RuntimeError("the filter matched no item")
    return timings


async def explain(db: Database, category_id, filters) -> str:
    statement = repository.filtered_items(category_id, filters, Page(size=PAGE_SIZE))
    sql = statement.compile(dialect=postgresql.asyncpg.dialect(), compile_kwargs={"literal_binds": True})
    async with db.read() as session:
        rows = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}"))
        return "\n".join(row[0] for row in rows)


def percentile(timings: list[float], fraction: float) -> float:
    """Nearest-rank percentile in milliseconds."""
    ordered = sorted(timings)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1] * 1000


async def _bench(server: str, console: Console, count: int, runs: int) -> int:
    started = time.monotonic()
    url = await prepare(server, console)
    db = Database(url, pool_size=2)
    try:
        category_id, specs, templates = await add_templates(db)
        seconds = await load(url, count, category_id, specs, templates, console)
        console.print(f"loaded {count:,} items and {6 * count:,} values in {seconds:.0f} s")
        async with db.read() as session:
            filters = parse_filters(await repository.attribute_specs(session, category_id), FILTER)
            matching = await session.scalar(
                text(
                    "SELECT count(*) FROM items i WHERE"
                    " EXISTS (SELECT 1 FROM item_attribute_values v WHERE v.item_id = i.id AND v.attribute_id = :wear"
                    "   AND v.value_number BETWEEN 0 AND 0.07)"
                    " AND EXISTS (SELECT 1 FROM item_attribute_values v WHERE v.item_id = i.id AND v.attribute_id = :rarity"
                    "   AND v.value_string IN ('Covert', 'Classified'))"
                    " AND EXISTS (SELECT 1 FROM item_attribute_values v WHERE v.item_id = i.id AND v.attribute_id = :stattrak"
                    "   AND v.value_boolean)"
                ),
                {"wear": specs["wear"].id, "rarity": specs["rarity"].id, "stattrak": specs["stattrak"].id},
            )
        console.print(f"the filter {' '.join(FILTER)} matches {matching:,} items; a page is {PAGE_SIZE}")
        with_indexes = await time_filter(db, category_id, filters, runs)
        plan_with = await explain(db, category_id, filters)
        async with db.begin() as session:
            for name in VALUE_INDEXES:
                await session.execute(text(f"DROP INDEX {name}"))
        without_runs = max(5, runs // 3)
        without_indexes = await time_filter(db, category_id, filters, without_runs)
        plan_without = await explain(db, category_id, filters)
        report(console, with_indexes, without_indexes, plan_with, plan_without, count)
        console.print(f"whole scenario: {time.monotonic() - started:.0f} s")
        return 0
    finally:
        await db.dispose()
        await drop_database(server, DB_NAME)


def report(console: Console, with_indexes, without_indexes, plan_with: str, plan_without: str, count: int) -> None:
    table = Table(title=f"typed filter on {count:,} items, page of {PAGE_SIZE}, newest first")
    for column in ("value indexes", "runs", "p50 ms", "p95 ms", "mean ms"):
        table.add_column(column, justify="left" if column == "value indexes" else "right")
    for name, timings in (("present", with_indexes), ("dropped", without_indexes)):
        table.add_row(
            name,
            str(len(timings)),
            f"{percentile(timings, 0.5):.1f}",
            f"{percentile(timings, 0.95):.1f}",
            f"{statistics.fmean(timings) * 1000:.1f}",
        )
    console.print(table)
    p50 = percentile(without_indexes, 0.5) / percentile(with_indexes, 0.5)
    p95 = percentile(without_indexes, 0.95) / percentile(with_indexes, 0.95)
    console.print(f"dropped/present: p50 {p50:.1f}x, p95 {p95:.1f}x")
    console.print("[bold]EXPLAIN ANALYZE with the value indexes[/]")
    console.print(plan_with, soft_wrap=True, markup=False, highlight=False)
    console.print("[bold]EXPLAIN ANALYZE with them dropped[/]")
    console.print(plan_without, soft_wrap=True, markup=False, highlight=False)
    console.print(machine_summary())


def bench(count: int = 1_000_000, runs: int = 30) -> int:
    if count < BATCH or runs < 1:
        raise SystemExit(f"--items must be at least {BATCH} and --runs at least 1")
    console = Console(highlight=False)
    try:
        return asyncio.run(_bench(find_server(), console, count, runs))
    except KeyboardInterrupt:
        return 130
