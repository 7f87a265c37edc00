"""Tables range-partitioned by time, whose partitions the service makes ahead of time itself.

A partitioned table names its time column, its period (a day, a month) and how many periods
beyond the current one it keeps ready. Partitions are made when a revision partitions a table,
by every service before it starts serving, and then every PARTITION_MAINTENANCE_SECONDS by a
task of the kit (`keep`, started by servicekit.server): no cron outside the service. Replicas
take turns through an advisory lock.

There is no default partition: a row whose time has no partition is refused, where a default
partition would keep it and then stop the partition of its period from being attached.

A partition is made empty beside its table (`CREATE TABLE ... LIKE`) and then attached: ATTACH
takes a SHARE UPDATE EXCLUSIVE lock on the table, which neither reads nor writes wait for, where
`CREATE TABLE ... PARTITION OF` takes an ACCESS EXCLUSIVE one. (Attaching copies the table's
foreign keys to the partition, which holds writes to the referenced tables for that instant.)
Partitions are named after the first day they hold (`outbox_events_p20261202`), and one of that
name that exists already is left as it is. Periods start at midnight UTC.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, func, select, text

from servicekit.db import Database
from servicekit.health import ServiceHealth

log = logging.getLogger("servicekit.partitions")

# A partition's DDL waits this long for a lock, then gives up until the next round rather than
# queue the service's statements behind it.
LOCK_TIMEOUT = "2s"
# pg_try_advisory_lock key of the maintenance: one replica at a time.
MAINTENANCE_LOCK = 0x6B69_7470  # "kitp"
HEALTH_PART = "partitions"

_PARTITIONS = text(
    """
    SELECT c.relname AS name, b.bounds[1]::timestamptz AS starts, b.bounds[2]::timestamptz AS ends,
           i.inhdetachpending AS detaching
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)')
        AS b(bounds)
    WHERE i.inhparent = to_regclass(:table)
    ORDER BY starts
    """
)


class Period(StrEnum):
    """A partition's span, as PostgreSQL's date_trunc and interval name it."""

    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True)
class PartitionedTable:
    """A table range-partitioned on a time column, one partition per period."""

    name: str
    column: str
    period: Period
    # Periods made ready beyond the current one.
    ahead: int
    # Run on each new partition ({partition} is its name): what a partition does not inherit from its
    # table, such as statement triggers.
    on_partition: tuple[str, ...] = ()

    @property
    def partition_by(self) -> str:
        """The PARTITION BY clause, for the model's `postgresql_partition_by`."""
        return f"RANGE ({self.column})"


@dataclass(frozen=True)
class Partition:
    name: str
    starts: datetime
    ends: datetime
    # Detached CONCURRENTLY by a round that stopped half-way.
    detaching: bool = False


def is_partitioned(connection: Connection, table: str) -> bool:
    kind = connection.execute(
        text("SELECT relkind::text FROM pg_class WHERE oid = to_regclass(:table)"), {"table": table}
    )
    return kind.scalar() == "p"


def partitions(connection: Connection, table: str) -> list[Partition]:
    """The partitions of a table, oldest first."""
    return [Partition(**row._mapping) for row in connection.execute(_PARTITIONS, {"table": table})]


def create_sql(
    table: PartitionedTable, *, parent: str | None = None, since: str = "now()", until: str | None = None
) -> str:
    """One statement that makes the missing partitions of table (or of parent, a table being built to replace
    it), a period each, from the period holding `since` to `until`: SQL expressions, by default now and
    `ahead` periods beyond the current one. The database works the periods out, so a revision runs the
    same statement in `alembic upgrade --sql`."""
    parent = parent or table.name
    period, step = table.period.value, f"interval '1 {table.period.value}'"
    until = until or f"date_trunc('{period}', now(), 'UTC') + {table.ahead + 1} * {step}"
    own = "".join(
        "\n            EXECUTE format('{}', name);".format(statement.replace("{partition}", "%1$I").replace("'", "''"))
        for statement in table.on_partition
    )
    return f"""DO $partitions$
DECLARE
    starts timestamptz := date_trunc('{period}', coalesce({since}, now()), 'UTC');
    name text;
BEGIN
    WHILE starts < {until} LOOP
        name := '{table.name}_p' || to_char(starts AT TIME ZONE 'UTC', 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
            EXECUTE format(
                'ALTER TABLE {parent} ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, starts, starts + {step}
            );{own}
        END IF;
        starts := starts + {step};
    END LOOP;
END
$partitions$"""


def create_ahead(connection: Connection, table: PartitionedTable) -> list[str]:
    """Makes the partitions from the current period to `ahead` periods beyond it that are missing; their names."""
    before = {partition.name for partition in partitions(connection, table.name)}
    connection.exec_driver_sql(create_sql(table))
    return [partition.name for partition in partitions(connection, table.name) if partition.name not in before]


def drop_partition(connection: Connection, table: str, partition: Partition) -> None:
    """Detaches the partition without blocking the table (CONCURRENTLY; on a connection in autocommit)
    and drops it. A detach that an earlier round left half-way is finished first."""
    if partition.detaching:
        connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {partition.name} FINALIZE"))
    else:
        connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {partition.name} CONCURRENTLY"))
    connection.execute(text(f"DROP TABLE {partition.name}"))


# Drops what may go, on a connection in autocommit; the names of the partitions it dropped.
Prune = Callable[[Connection], list[str]]


async def maintain(
    db: Database, tables: Sequence[PartitionedTable], prune: Prune | None = None, health: ServiceHealth | None = None
) -> None:
    """One round: makes the partitions each table lacks, then prunes (on a connection in autocommit),
    unless another replica is at it. A failure is logged and reported, never raised."""
    try:
        async with db.engine.connect() as holder:
            holder = await holder.execution_options(isolation_level="AUTOCOMMIT")
            if not await holder.scalar(select(func.pg_try_advisory_lock(MAINTENANCE_LOCK))):
                return
            try:
                for table in tables:
                    async with db.engine.begin() as connection:
                        if not await connection.run_sync(is_partitioned, table.name):
                            log.warning(
                                "%s is not partitioned: its database is not migrated to this release", table.name
                            )
                            continue
                        await connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                        made = await connection.run_sync(create_ahead, table)
                    if made:
                        log.info("made partitions %s", ", ".join(made))
                if prune is not None:
                    await holder.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
                    dropped = await holder.run_sync(prune)
                    if dropped:
                        log.info("dropped partitions %s", ", ".join(dropped))
            finally:
                await holder.execute(text("RESET lock_timeout"))
                await holder.scalar(select(func.pg_advisory_unlock(MAINTENANCE_LOCK)))
    except Exception:
        log.exception("partition maintenance failed; trying again next round")
        working = False
    else:
        working = True
    if health is not None:
        await health.report(HEALTH_PART, working, essential=False)


async def keep(
    db: Database,
    tables: Sequence[PartitionedTable],
    every_seconds: float,
    prune: Prune | None = None,
    health: ServiceHealth | None = None,
) -> None:
    """Runs `maintain` every every_seconds until cancelled."""
    while True:
        await asyncio.sleep(every_seconds)
        await maintain(db, tables, prune, health)
