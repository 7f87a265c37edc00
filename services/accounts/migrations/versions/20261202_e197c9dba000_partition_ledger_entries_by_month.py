"""Partition ledger entries by month, copying them under a lock that holds postings (never reads) for the copy.

Acceptable once, and said here: every posting of the service waits while the entries are copied
(about two seconds per 100,000 entries; a young ledger holds few), and waits rather than fails. A
larger ledger needs a quiet moment or a longer MIGRATION_STATEMENT_TIMEOUT. The primary key and the
unique key take the partition key (created_at); the entries' triggers are made again on the new
table after the copy, so the copy applies no entry to a balance a second time.

Revision ID: e197c9dba000
Revises: e1eb6e82f0bf
Create Date: 2026-12-02 06:10:01.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions
from servicekit.partitions import PartitionedTable, Period

revision: str = "e197c9dba000"
down_revision: str | None = "e1eb6e82f0bf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.REPLACE_TABLE_EXCUSES | {"prefer-text-field": revisions.VARCHAR_LENGTHS}

# A statement trigger stays on the table it is on, so each partition refuses writes of its own:
# entries are written through ledger_entries, whose triggers apply and check them.
THROUGH_TABLE = """
CREATE FUNCTION ledger_entries_through_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is a partition: % entries through ledger_entries', TG_TABLE_NAME, lower(TG_OP)
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_entries_through_table';
END;
$$
"""

LEDGER_BY_MONTH = PartitionedTable(
    "ledger_entries",
    "created_at",
    Period.MONTH,
    ahead=2,
    on_partition=(
        "CREATE TRIGGER ledger_entries_through_table BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {partition}"
        " FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_through_table()",
    ),
)

# The triggers of ledger_entries, as revisions "enforce the ledger in the database" and "create holds" made them.
TRIGGERS = [
    "CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries"
    " REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_entries()",
    "CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_posting_balanced()",
    "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries"
    " FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
    "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()",
    "CREATE TRIGGER ledger_entries_apply_holds AFTER INSERT ON ledger_entries"
    " REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_holds()",
]


def _entries_table(name: str, key: list[str], **options) -> sa.Table:
    table = op.create_table(
        name,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("posting_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id", "currency"],
            ["ledger_accounts.id", "ledger_accounts.currency"],
            name="fk_ledger_entries_account_id_ledger_accounts",
        ),
        sa.ForeignKeyConstraint(
            ["posting_id", "currency"],
            ["postings.id", "postings.currency"],
            name="fk_ledger_entries_posting_id_postings",
        ),
        sa.PrimaryKeyConstraint("id", *key, name=f"pk_{name}"),
        sa.UniqueConstraint("posting_id", "account_id", *key, name=f"uq_{name}_posting_id_account_id"),
        **options,
    )
    op.create_index(f"ix_{name}_account_id_created_at_id", name, ["account_id", "created_at", "id"], unique=False)
    return table


def _replace(replacement: sa.Table, **options) -> None:
    revisions.replace_table(
        "ledger_entries",
        replacement,
        {
            f"pk_{replacement.name}": "pk_ledger_entries",
            f"uq_{replacement.name}_posting_id_account_id": "uq_ledger_entries_posting_id_account_id",
            f"ix_{replacement.name}_account_id_created_at_id": "ix_ledger_entries_account_id_created_at_id",
        },
        **options,
    )
    for trigger in TRIGGERS:
        op.execute(trigger)


def upgrade() -> None:
    op.execute(THROUGH_TABLE)
    _replace(
        _entries_table("ledger_entries_by_month", ["created_at"], postgresql_partition_by="RANGE (created_at)"),
        partitioned=LEDGER_BY_MONTH,
    )


def downgrade() -> None:
    _replace(_entries_table("ledger_entries_whole", []))
    op.execute("DROP FUNCTION ledger_entries_through_table()")
