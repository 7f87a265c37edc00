"""Helpers of the migration tests: moving a service's database through its history, the demo data, and
what the database holds at each step."""

import asyncio
import os
import uuid
from dataclasses import dataclass

import asyncpg
from alembic.config import Config

from servicekit.config import SEEDS_AFTER_START
from servicekit.migrations import POSTGIS_TABLES, migrate, version_table
from servicekit.server import ServiceSpec
from testkit.commands import run_command


@dataclass(frozen=True)
class ServiceDatabase:
    spec: ServiceSpec
    config: Config
    url: str  # as asyncpg takes it
    service_url: str  # as the service takes it (DATABASE_URL)


async def migrate_to(database: ServiceDatabase, target: str) -> None:
    # In a thread: the command runs its own event loop.
    await asyncio.to_thread(migrate, database.config, database.spec.name, target)


SELLER, BUYER, LISTING, CONVERSATION, IMAGE_MESSAGE = (uuid.uuid4() for _ in range(5))

# Trading's and messaging's seeds act through the other services, which these tests do not run: rows like those
# they hold in use stand for their demo data.
DEMO_ROWS = {
    "trading": [
        "INSERT INTO listings (id, seller_id, title, description, condition, price_minor, currency, location, feed,"
        " status) VALUES"
        f" ('{LISTING}', '{SELLER}', 'AK-47 | Redline', 'Field-Tested, float 0.21', 'good', 1999, 'USD',"
        "  ST_GeogFromText('SRID=4326;POINT(13.40 52.52)'), 'discover', 'active'),"
        f" ('{uuid.uuid4()}', '{SELLER}', 'Air Jordan 1', '', NULL, 12000, 'EUR', NULL, 'community', 'sold')",
        "INSERT INTO outbox_events (event_type, subject_id, payload_type, payload) VALUES"
        f" ('listing.created', '{LISTING}', 'marketplace.trading.v1.ListingCreated', '{{\"title\": \"AK-47\"}}')",
    ],
    "messaging": [
        f"INSERT INTO conversations (id, listing_id, buyer_id, seller_id) VALUES"
        f" ('{CONVERSATION}', '{LISTING}', '{BUYER}', '{SELLER}')",
        "INSERT INTO messages (id, conversation_id, sender_id, kind, text, image_url, created_at) VALUES"
        f" ('{uuid.uuid4()}', '{CONVERSATION}', '{BUYER}', 'text', 'Is it still available?', '',"
        "  '2026-12-01 10:00:00+00'),"
        f" ('{IMAGE_MESSAGE}', '{CONVERSATION}', '{SELLER}', 'image', '', 'https://example.com/skin.png',"
        "  '2026-12-01 10:05:00+00')",
        f"UPDATE conversations SET last_message_id = '{IMAGE_MESSAGE}', last_message_at = '2026-12-01 10:05:00+00'",
        "INSERT INTO participant_states (conversation_id, user_id, last_read_at, archived, unread_count, active_at)"
        f" VALUES ('{CONVERSATION}', '{BUYER}', now(), false, 0, '2026-12-01 10:05:00+00'),"
        f" ('{CONVERSATION}', '{SELLER}', NULL, true, 1, '2026-12-01 10:05:00+00')",
    ],
}


async def add_demo_data(database: ServiceDatabase) -> None:
    """The service's seed as `make run` runs it where it runs alone, and the demo rows of DEMO_ROWS."""
    if database.spec.seed is not None and database.spec.name not in SEEDS_AFTER_START:
        env = os.environ | {
            "DATABASE_URL": database.service_url,
            "ENVIRONMENT": "development",
            "ADMIN_PASSWORD": "migrations-test-admin",
        }
        finished = await run_command(database.spec.name, "seed", env=env)
        assert finished.returncode == 0, finished.stderr
    connection = await asyncpg.connect(database.url)
    try:
        for statement in DEMO_ROWS.get(database.spec.name, ()):
            await connection.execute(statement)
    finally:
        await connection.close()


@dataclass(frozen=True)
class Contents:
    """The columns and rows of every table of the service (not Alembic's nor PostGIS's)."""

    columns: dict[str, list[str]]
    rows: dict[str, list[asyncpg.Record]]

    def on(self, table: str, columns: list[str]) -> list[str]:
        """The table's rows on those columns, comparable whatever their order."""
        return sorted(repr(tuple(row[column] for column in columns)) for row in self.rows[table])


async def contents(database: ServiceDatabase) -> Contents:
    left_out = [version_table(database.spec.name), *POSTGIS_TABLES]
    connection = await asyncpg.connect(database.url)
    try:
        columns: dict[str, list[str]] = {}
        for row in await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name <> ALL($1::text[]) ORDER BY table_name, ordinal_position",
            left_out,
        ):
            columns.setdefault(row["table_name"], []).append(row["column_name"])
        rows = {table: await connection.fetch(f'SELECT * FROM "{table}"') for table in columns}
        return Contents(columns, rows)
    finally:
        await connection.close()


def lost(before: Contents, now: Contents, kept_by: Contents | None = None) -> dict[str, str]:
    """Tables whose rows differ now from before, on the columns both have (and kept_by, a step in
    between, had: what a downgrade dropped comes back empty)."""
    between = kept_by or now
    changed = {}
    for table, columns in now.columns.items():
        shared = [c for c in columns if c in before.columns.get(table, ()) and c in between.columns.get(table, ())]
        if shared and before.on(table, shared) != now.on(table, shared):
            changed[table] = f"{len(before.rows[table])} rows before, {len(now.rows[table])} now"
    return changed
