"""Schema steps of the tables the kit defines in every service's database (the outbox, idempotency keys).

Each service's own Alembic revision calls these, so the tables are defined once, not once per
service. Like a revision, a step is never changed once released: a new change is a new step.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


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
