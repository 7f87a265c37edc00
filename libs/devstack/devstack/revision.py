"""`make revision SERVICE=x MESSAGE="..."`: autogenerate a migration against a scratch database."""

import asyncio
import importlib

from alembic import command

from devstack.postgres import create_database, drop_database, find_server, service_url
from servicekit.migrations import alembic_config, migrate


def new_revision(service: str, message: str) -> None:
    spec = importlib.import_module(f"{service}.app").SPEC
    server = find_server()
    scratch = f"{service}_autogenerate"
    asyncio.run(drop_database(server, scratch))
    asyncio.run(create_database(server, scratch))
    try:
        config = alembic_config(spec.root, service_url(server, scratch))
        migrate(config, service, "head")
        command.revision(config, message=message, autogenerate=True)
    finally:
        asyncio.run(drop_database(server, scratch))
