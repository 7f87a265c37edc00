"""Helpers of the migration tests: a service's database, and moving it through its history."""

import asyncio
from dataclasses import dataclass

from alembic.config import Config

from servicekit.migrations import migrate
from servicekit.server import ServiceSpec


@dataclass(frozen=True)
class ServiceDatabase:
    spec: ServiceSpec
    config: Config
    url: str  # as asyncpg takes it
    service_url: str  # as the service takes it (DATABASE_URL)


async def migrate_to(database: ServiceDatabase, target: str) -> None:
    # In a thread: the command runs its own event loop.
    await asyncio.to_thread(migrate, database.config, database.spec.name, target)
