"""Schema steps of the tables the kit defines in every service's database (the outbox, idempotency keys, the
audit log, runtime settings), and the way a table is replaced by a copy (`replace_table`).

Each service's own Alembic revision calls these, so the tables are defined once, not once per
service. Like a revision, a step is never changed once released: a new change is a new step.

A step that breaks a squawk rule safely keeps its excuses beside it (`<STEP>_EXCUSES`), and the
revision that calls it names them in its own SQUAWK_EXCUSES (servicekit.squawk).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import partitions
from servicekit.partitions import PartitionedTable, Period

# Why the varchar columns of the first revisions are safe (squawk's prefer-text-field): a length
# change is a revision of its own, which squawk checks then (changing-column-type); widening is a
# catalog-only change since PostgreSQL 9.2, its brief lock bounded by the migration's lock_timeout.
# New columns take Text with a CHECK instead.
VARCHAR_LENGTHS = "varchar lengths of new tables: widening one later is a catalog-only ALTER under the lock_timeout"

CREATE_OUTBOX_AND_IDEMPOTENCY_KEYS_EXCUSES = {"prefer-text-field": VARCHAR_LENGTHS}


def create_outbox_and_idempotency_keys() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "txid", sa.BigInteger(), server_default=sa.text("(pg_current_xact_id()::text::bigint)"), nullable=False
        ),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("payload_type", sa.String(length=200), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index("ix_outbox_events_txid_id", "outbox_events", ["txid", "id"], unique=False)


def drop_outbox_and_idempotency_keys() -> None:
    op.drop_index("ix_outbox_events_txid_id", table_name="outbox_events")
    op.drop_table("outbox_events")
    op.drop_table("idempotency_keys")


STORE_IDEMPOTENT_RESPONSES_EXCUSES = {
    "ban-drop-column": "no release that reads idempotency_keys.result_id has run",
    "adding-required-field": "the table is emptied first in the same transaction, and no release that writes keys "
    "without request_hash has run",
    "prefer-text-field": "request_hash is a SHA-256 in hex: 64 characters, never another length",
}


def store_idempotent_responses() -> None:
    """Keys keep the hash of their request and their first response instead of a result id. Keys of
    the result-id kind cannot be checked against a request, so they are dropped (they guard retries
    of a few minutes, and no release with them has run)."""
    op.execute("DELETE FROM idempotency_keys")
    op.drop_column("idempotency_keys", "result_id")
    op.add_column("idempotency_keys", sa.Column("request_hash", sa.String(length=64), nullable=False))
    op.add_column("idempotency_keys", sa.Column("response", sa.LargeBinary(), nullable=True))


def keep_result_ids() -> None:
    op.execute("DELETE FROM idempotency_keys")
    op.drop_column("idempotency_keys", "response")
    op.drop_column("idempotency_keys", "request_hash")
    op.add_column("idempotency_keys", sa.Column("result_id", sa.Uuid(), nullable=True))


CREATE_AUDIT_LOG_EXCUSES = {"prefer-text-field": VARCHAR_LENGTHS}


def create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=50), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("before IS NOT NULL OR after IS NOT NULL", name=op.f("ck_audit_log_has_a_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    create_audit_log_indexes()


def create_audit_log_indexes() -> None:
    """The indexes of the audit log's filters, each ending in its sort key (newest first)."""
    op.create_index("ix_audit_log_occurred_at_id", "audit_log", ["occurred_at", "id"])
    op.create_index("ix_audit_log_actor_occurred_at_id", "audit_log", ["actor", "occurred_at", "id"])
    op.create_index("ix_audit_log_action_occurred_at_id", "audit_log", ["action", "occurred_at", "id"])
    op.create_index(
        "ix_audit_log_target_type_target_id_occurred_at_id",
        "audit_log",
        ["target_type", "target_id", "occurred_at", "id"],
    )


def drop_audit_log_indexes() -> None:
    for name in (
        "ix_audit_log_target_type_target_id_occurred_at_id",
        "ix_audit_log_action_occurred_at_id",
        "ix_audit_log_actor_occurred_at_id",
        "ix_audit_log_occurred_at_id",
    ):
        op.drop_index(name, table_name="audit_log")


def drop_audit_log() -> None:
    drop_audit_log_indexes()
    op.drop_table("audit_log")


CREATE_RUNTIME_SETTINGS_EXCUSES = {"prefer-text-field": VARCHAR_LENGTHS}


def create_runtime_settings() -> None:
    op.create_table(
        "runtime_settings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_runtime_settings")),
    )


def drop_runtime_settings() -> None:
    op.drop_table("runtime_settings")


def replace_table(
    table: str,
    replacement: sa.Table,
    renames: dict[str, str],
    *,
    partitioned: PartitionedTable | None = None,
    identity: str | None = None,
) -> None:
    """Moves every row of table into replacement, a table with the same columns just made by the caller
    (what op.create_table returns), then drops table and gives its name to replacement, and to
    replacement's indexes the names in renames (those of a constraint rename it too). A partitioned
    replacement first gets a partition for every period from its oldest row to `ahead` periods from
    now; an identity column's sequence takes table's name and goes on after the largest value copied.
    Plain SQL throughout, so that `alembic upgrade --sql` writes it out too.

    Takes an EXCLUSIVE lock on table until the revision commits: reads go on, writes wait for the
    copy and the swap."""
    columns = ", ".join(column.name for column in replacement.columns)
    op.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    if partitioned is not None:
        oldest = f"(SELECT min({partitioned.column}) FROM {table})"
        op.execute(partitions.create_sql(partitioned, parent=replacement.name, since=oldest))
    op.execute(f"INSERT INTO {replacement.name} ({columns}) SELECT {columns} FROM {table}")
    op.drop_table(table)
    op.rename_table(replacement.name, table)
    for old, new in renames.items():
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")
    if identity is not None:
        op.execute(f"ALTER SEQUENCE {replacement.name}_{identity}_seq RENAME TO {table}_{identity}_seq")
        op.execute(f"SELECT setval('{table}_{identity}_seq', coalesce(max({identity}), 0) + 1, false) FROM {table}")


# The outbox's partitions as this step makes them; servicekit.outbox.OUTBOX keeps them so from then on.
_OUTBOX_BY_DAY = PartitionedTable("outbox_events", "occurred_at", Period.DAY, ahead=3)


def _outbox_table(name: str, primary_key: list[str], **options) -> sa.Table:
    table = op.create_table(
        name,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "txid", sa.BigInteger(), server_default=sa.text("(pg_current_xact_id()::text::bigint)"), nullable=False
        ),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("payload_type", sa.String(length=200), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint(*primary_key, name=f"pk_{name}"),
        **options,
    )
    op.create_index(f"ix_{name}_txid_id", name, ["txid", "id"], unique=False)
    return table


# A table replaced by its partitioned copy (replace_table): the old one is dropped and the copy takes its
# name and its indexes' and sequence's names, in the one transaction that holds the lock; clients see one table.
REPLACE_TABLE_EXCUSES = {
    "ban-drop-table": "the table dropped is the old copy, replaced in the same transaction",
    "renaming-table": "the copy takes the old table's name in the transaction that drops the old one",
    "renaming-object": "the copy's indexes and sequence take the old names in the same transaction",
}
PARTITION_OUTBOX_BY_DAY_EXCUSES = REPLACE_TABLE_EXCUSES | {"prefer-text-field": VARCHAR_LENGTHS}
CREATE_OUTBOX_RETENTION_EXCUSES = {"prefer-text-field": VARCHAR_LENGTHS}


def partition_outbox_by_day() -> None:
    """outbox_events becomes range-partitioned by the day of occurred_at, so that old events go by dropping
    a day (servicekit.retention). Its primary key takes the partition key: (id, occurred_at).

    Its rows are copied into the new table under an EXCLUSIVE lock on the old one: the feed goes on
    reading, and every transaction that writes an event waits until the revision commits. That is
    acceptable once: the copy is of the outbox alone (events of a few days in a young deployment, about
    a second per 100,000), and a writer waits rather than fails. A larger outbox needs a quiet moment
    or a longer MIGRATION_STATEMENT_TIMEOUT."""
    replace_table(
        "outbox_events",
        _outbox_table("outbox_events_by_day", ["id", "occurred_at"], postgresql_partition_by="RANGE (occurred_at)"),
        {"pk_outbox_events_by_day": "pk_outbox_events", "ix_outbox_events_by_day_txid_id": "ix_outbox_events_txid_id"},
        partitioned=_OUTBOX_BY_DAY,
        identity="id",
    )


def unpartition_outbox() -> None:
    """outbox_events becomes one table again, its rows copied under the same lock."""
    replace_table(
        "outbox_events",
        _outbox_table("outbox_events_whole", ["id"]),
        {"pk_outbox_events_whole": "pk_outbox_events", "ix_outbox_events_whole_txid_id": "ix_outbox_events_txid_id"},
        identity="id",
    )


def create_outbox_retention() -> None:
    """Where the outbox's consumers stand, as they tell it, and the partitions dropped (servicekit.retention)."""
    op.create_table(
        "outbox_consumers",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_outbox_consumers")),
    )
    op.create_table(
        "outbox_pruned_partitions",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_txid", sa.BigInteger(), nullable=True),
        sa.Column("last_event_id", sa.BigInteger(), nullable=True),
        sa.Column("pruned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_pruned_partitions")),
    )


def drop_outbox_retention() -> None:
    op.drop_table("outbox_pruned_partitions")
    op.drop_table("outbox_consumers")


def index_by_age(table: str, column: str) -> None:
    """The index that pruning finds a table's old rows by (servicekit.pruning), built without blocking writes."""
    with op.get_context().autocommit_block():
        op.create_index(f"ix_{table}_{column}", table, [column], postgresql_concurrently=True, if_not_exists=True)


def drop_age_index(table: str, column: str) -> None:
    with op.get_context().autocommit_block():
        op.drop_index(f"ix_{table}_{column}", table_name=table, postgresql_concurrently=True, if_exists=True)


def index_idempotency_keys_by_age() -> None:
    index_by_age("idempotency_keys", "created_at")


def drop_idempotency_keys_age_index() -> None:
    drop_age_index("idempotency_keys", "created_at")
