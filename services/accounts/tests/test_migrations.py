import asyncio
import uuid

from alembic import command

from accounts.app import SPEC
from devstack.postgres import create_database, drop_database, service_url
from servicekit.migrations import alembic_config, migrate


def up_down_up_and_check(url: str) -> None:
    config = alembic_config(SPEC.root, url)
    migrate(config, "accounts", "head")
    command.check(config)
    migrate(config, "accounts", "base")
    migrate(config, "accounts", "head")
    command.check(config)


async def test_migrations_go_down_and_up_again_and_match_the_models(pg_server):
    name = f"accounts_migrations_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server, name)
    try:
        # In a thread: Alembic runs its own event loop for the async env.py.
        await asyncio.to_thread(up_down_up_and_check, service_url(pg_server, name))
    finally:
        await drop_database(pg_server, name)
