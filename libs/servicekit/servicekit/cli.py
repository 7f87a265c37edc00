"""`python -m <service> serve | migrate [--to REV] | seed | docs | revision -m MSG | verify-schema | lint-migrations
| <command of the service>`, the same for every service."""

import argparse
import asyncio
import logging

import uvloop

from servicekit import malloc
from servicekit.config import Settings
from servicekit.runtime import Runtime
from servicekit.server import ServiceSpec, serve

# Libraries that log at INFO what nobody reads: a client's every request (a poll would fill the log), and
# Alembic's setting up of its plugins when a command imports it.
CHATTY_LOGGERS = ("elastic_transport", "alembic.runtime.plugins")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))


async def _seed(spec: ServiceSpec, settings: Settings) -> None:
    runtime = Runtime(settings, runtime_settings=spec.runtime_settings)
    try:
        # The seed's use cases see the runtime settings the service has (trading's fee, say).
        if runtime.runtime_settings is not None:
            await runtime.runtime_settings.reload()
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
    commands.add_parser("docs", help="write docs/schema.md, the diagram of the tables")
    revision = commands.add_parser("revision", help="autogenerate a migration against DATABASE_URL, a scratch database")
    revision.add_argument("-m", "--message", required=True)
    commands.add_parser("verify-schema", help="compare the database with the models; exit 1 when they differ")
    commands.add_parser("lint-migrations", help="squawk over the SQL of every revision; exit 1 on an unexcused finding")
    for name, own in spec.commands.items():
        commands.add_parser(name, help=own.help, add_help=False)
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in spec.commands:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

    settings = spec.settings.from_env(spec.name)
    configure_logging(settings.log_level)
    malloc.set_mmap_threshold(settings.malloc_mmap_threshold)
    if args.command == "serve":
        uvloop.run(serve(spec, settings))
    elif args.command == "seed":
        if spec.seed is not None:
            asyncio.run(_seed(spec, settings))
    elif args.command in spec.commands:
        spec.commands[args.command].run(settings, rest)
    else:
        _schema_command(spec, settings, args)


def _schema_command(spec: ServiceSpec, settings: Settings, args: argparse.Namespace) -> None:
    """The commands of the schema and its history. Alembic (with Mako and Pygments) is imported here only: a
    serving process has no use for it, and it held 11 MB of each one's memory."""
    from alembic import command

    from servicekit import drift, erd, squawk
    from servicekit.migrations import alembic_config, migrate

    config = alembic_config(
        spec.root,
        settings.database_url,
        lock_timeout=settings.migration_lock_timeout,
        statement_timeout=settings.migration_statement_timeout,
    )
    if args.command == "migrate":
        migrate(config, spec.name, args.to)
    elif args.command == "docs":
        path = erd.path_of(spec.root)
        path.parent.mkdir(exist_ok=True)
        path.write_text(erd.document(spec.name, spec.outbox.metadata))
    elif args.command == "revision":
        migrate(config, spec.name, "head")
        command.revision(config, message=args.message, autogenerate=True)
    elif args.command == "verify-schema":
        raise SystemExit(asyncio.run(drift.main(settings.database_url, spec.name, spec.outbox.metadata)))
    elif args.command == "lint-migrations":
        raise SystemExit(squawk.main(config, spec.name))
