"""`make revision SERVICE=x MESSAGE="..."`: autogenerate a migration against a scratch database."""

import asyncio
import subprocess
import sys

from devstack.postgres import create_database, drop_database, postgres_server, service_url
from devstack.services import base_env


def new_revision(service: str, message: str) -> None:
    scratch = f"{service}_autogenerate"
    with postgres_server() as server:
        asyncio.run(drop_database(server, scratch))
        asyncio.run(create_database(server, scratch))
        try:
            env = base_env({"DATABASE_URL": service_url(server, scratch)})
            subprocess.run([sys.executable, "-m", service, "revision", "-m", message], env=env, check=True)
        finally:
            asyncio.run(drop_database(server, scratch))
