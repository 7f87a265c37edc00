"""`python -m <service> serve | migrate [--to REV] | seed`, the same for every service."""

import argparse
import asyncio
import logging

from servicekit.config import Settings
from servicekit.migrations import alembic_config, migrate
from servicekit.runtime import Runtime
from servicekit.server import ServiceSpec, serve


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


async def _seed(spec: ServiceSpec, settings: Settings) -> None:
    runtime = Runtime(settings)
    try:
        await spec.seed(runtime)
    finally:
        await runtime.close()


def main(spec: ServiceSpec, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {spec.name}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the gRPC server until SIGTERM/SIGINT")
    migrate_parser = commands.add_parser("migrate", help="apply migrations (default: up to head)")
    migrate_parser.add_argument("--to", default="head", help="revision to go up or down to ('base' for none)")
    commands.add_parser("seed", help="insert the demo data (idempotent)")
    args = parser.parse_args(argv)

    settings = Settings.from_env(spec.name)
    configure_logging(settings.log_level)
    if args.command == "serve":
        asyncio.run(serve(spec, settings))
    elif args.command == "migrate":
        migrate(alembic_config(spec.root, settings.database_url), spec.name, args.to)
    elif args.command == "seed" and spec.seed is not None:
        asyncio.run(_seed(spec, settings))
