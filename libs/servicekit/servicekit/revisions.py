"""Schema steps of the tables the kit defines in every service's database (the outbox, idempotency keys, the
audit log, runtime settings).

Each service's own Alembic revision calls these, so the tables are defined once, not once per
service. Like a revision, a step is never changed once released: a new change is a new step.

A step that breaks a squawk rule safely keeps its excuses beside it (`<STEP>_EXCUSES`), and the
revision that calls it names them in its own SQUAWK_EXCUSES (servicekit.squawk).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

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
