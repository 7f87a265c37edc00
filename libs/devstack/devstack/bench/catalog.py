"""Benchmark "catalog": `python -m catalog bench` in a private database (see catalog/bench.py).

The database bench_catalog is made empty on the server `make run` uses, handed to the
catalog's own command through DATABASE_URL, and dropped at the end.
"""

import asyncio
import subprocess

from devstack.bench.load import machine_summary
from devstack.postgres import create_database, drop_database, postgres_server, service_url
from devstack.services import base_env, python

DB_NAME = "bench_catalog"


def bench(count: int, runs: int) -> int:
    with postgres_server() as server:
        return _bench(server, count, runs)


def _bench(server: str, count: int, runs: int) -> int:
    print(machine_summary(), flush=True)
    asyncio.run(drop_database(server, DB_NAME))
    asyncio.run(create_database(server, DB_NAME))
    try:
        command = python("catalog", "bench", "--items", str(count), "--runs", str(runs))
        return subprocess.run(command, env=base_env({"DATABASE_URL": service_url(server, DB_NAME)})).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        asyncio.run(drop_database(server, DB_NAME))
