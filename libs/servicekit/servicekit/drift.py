"""How a live database differs from the service's models (`python -m <service> verify-schema`).

Alembic's autogenerate comparison finds tables, columns, types, nullability, indexes, unique
constraints and foreign keys that differ, with the service's version table and PostGIS's own
objects left out as in `alembic check`. It does not compare CHECK constraints, so they are
compared here by name (their expressions come back from PostgreSQL rewritten). Triggers and
functions are not in the models and are not compared.
"""

import sys
from collections.abc import Iterable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, MetaData, UniqueConstraint, inspect, pool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.migrations import context_options, partition_names, quiet_alembic

MISSING = "in the models, missing from the database"
EXTRA = "in the database, not in the models"


def _type(type_: Any) -> str:
    return type_.compile(dialect=postgresql.dialect())


def _columns(names: Iterable[str]) -> str:
    return ", ".join(names)


def _index(index: Index) -> str:
    unique = "unique index" if index.unique else "index"
    columns = _columns(str(getattr(expression, "name", expression)) for expression in index.expressions)
    return f"{unique} {index.name} on {index.table.name} ({columns})"


def _constraint(constraint: UniqueConstraint | ForeignKeyConstraint) -> str:
    table, columns = constraint.table.name, _columns(c.name for c in constraint.columns)
    if isinstance(constraint, ForeignKeyConstraint):
        referred = constraint.referred_table.name
        targets = _columns(element.column.name for element in constraint.elements)
        return f"foreign key {constraint.name} on {table} ({columns}) -> {referred} ({targets})"
    return f"unique constraint {constraint.name} on {table} ({columns})"


def _column(table: str, name: str) -> str:
    return f"column {table}.{name}"


def _describe_change(diff: tuple) -> str:
    kind, _, table, column, _, database, models = diff
    name = _column(table, column)
    if kind == "modify_type":
        return f"{name}: type {_type(database)} in the database, {_type(models)} in the models"
    if kind == "modify_nullable":
        say = {True: "nullable", False: "NOT NULL"}
        return f"{name}: {say[database]} in the database, {say[models]} in the models"
    return f"{name}: {kind.removeprefix('modify_')} {database!r} in the database, {models!r} in the models"


def describe(diff: tuple | list) -> list[str]:
    """One readable line per difference Alembic reports (a list holds the changes of one column)."""
    if isinstance(diff, list):
        return [_describe_change(change) for change in diff]
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return [f"table {diff[1].name}: {MISSING if kind == 'add_table' else EXTRA}"]
    if kind == "add_column":
        column = diff[3]
        null = "" if column.nullable else " NOT NULL"
        return [f"{_column(diff[2], column.name)}: {MISSING} ({_type(column.type)}{null})"]
    if kind == "remove_column":
        return [f"{_column(diff[2], diff[3].name)}: {EXTRA}"]
    if kind in ("add_index", "remove_index"):
        return [f"{_index(diff[1])}: {MISSING if kind == 'add_index' else EXTRA}"]
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        return [f"{_constraint(diff[1])}: {MISSING if kind.startswith('add') else EXTRA}"]
    return [f"{kind}: {diff[1:]!r}"]


def _check_constraints(connection: Connection, metadata: MetaData) -> list[str]:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    lines = []
    for table in metadata.sorted_tables:
        if table.name not in tables:
            continue  # reported as a missing table
        models = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        database = {c["name"] for c in inspector.get_check_constraints(table.name)}
        lines += [f"check constraint {name} on {table.name}: {MISSING}" for name in sorted(models - database)]
        lines += [f"check constraint {name} on {table.name}: {EXTRA}" for name in sorted(database - models)]
    return lines


def _compare(connection: Connection, service: str, metadata: MetaData) -> tuple[list[str], tuple[str, ...]]:
    context = MigrationContext.configure(
        connection, opts=context_options(service, metadata, partition_names(connection))
    )
    lines = [line for diff in compare_metadata(context, metadata) for line in describe(diff)]
    return lines + _check_constraints(connection, metadata), context.get_current_heads()


async def differences(database_url: str, service: str, metadata: MetaData) -> tuple[list[str], tuple[str, ...]]:
    """The differences between the database and the models, and the revisions the database is at."""
    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            with quiet_alembic():
                return await connection.run_sync(_compare, service, metadata)
    finally:
        await engine.dispose()


async def main(database_url: str, service: str, metadata: MetaData) -> int:
    """Prints the differences and returns 1, or says the schema matches and returns 0; 2 when the
    database cannot be read (as diff(1) does: the migrate Job retries a 2, never a 1)."""
    try:
        lines, heads = await differences(database_url, service, metadata)
    except (OSError, DBAPIError) as exc:
        print(f"{service}: cannot read the database: {exc}", file=sys.stderr)
        return 2
    at = ", ".join(heads) or "no revision"
    if not lines:
        print(f"{service}: schema matches the models (at {at})")
        return 0
    count = f"{len(lines)} difference{'' if len(lines) == 1 else 's'}"
    print(f"{service}: the database (at {at}) differs from the models ({count}):")
    for line in lines:
        print(f"  {line}")
    return 1
