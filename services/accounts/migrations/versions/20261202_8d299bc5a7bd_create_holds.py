"""Create holds: escrow as named records that only their postings fill, pay out and give back.

Revision ID: 8d299bc5a7bd
Revises: b321c28a8fbb
Create Date: 2026-12-02 04:10:25.935784
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit import revisions

revision: str = "8d299bc5a7bd"
down_revision: str | None = "b321c28a8fbb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The squawk rules this revision breaks, and why that is safe (servicekit.squawk).
SQUAWK_EXCUSES = {
    "prefer-robust-stmts": "applied before this check existed; a failed concurrent build leaves an INVALID "
    "ix_postings_hold_id to drop by hand before running it again",
    "prefer-text-field": revisions.VARCHAR_LENGTHS,
}

# A hold's amounts are kept the way balances are: the postings of a hold are applied to it by the
# database, in the statement that inserts their entries, from the entries on its owner's held
# account. Hold postings fill it; captures and releases take from what is left, and the CHECKs
# refuse taking more. A posting of a hold is a hold, a capture or a release of its owner's money.
APPLY_HOLDS = """
CREATE FUNCTION ledger_apply_holds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT FROM new_entries e
        JOIN postings p ON p.id = e.posting_id
        JOIN ledger_accounts a ON a.id = e.account_id
        JOIN holds h ON h.id = p.hold_id
        WHERE p.kind NOT IN ('hold', 'capture', 'release')
           OR (a.kind = 'held' AND (a.user_id, a.currency) IS DISTINCT FROM (h.user_id, h.currency))
    ) THEN
        RAISE EXCEPTION 'a posting of a hold holds, captures or releases its owner''s held money only'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'holds_postings_of_the_owner';
    END IF;
    UPDATE holds AS hold
    SET amount_minor = hold.amount_minor + change.filled,
        remaining_minor = hold.remaining_minor + change.filled - change.captured - change.released,
        captured_minor = hold.captured_minor + change.captured,
        released_minor = hold.released_minor + change.released,
        updated_at = now()
    FROM (
        SELECT p.hold_id,
               coalesce(sum(e.amount_minor) FILTER (WHERE p.kind = 'hold'), 0) AS filled,
               coalesce(-sum(e.amount_minor) FILTER (WHERE p.kind = 'capture'), 0) AS captured,
               coalesce(-sum(e.amount_minor) FILTER (WHERE p.kind = 'release'), 0) AS released
        FROM new_entries e
        JOIN postings p ON p.id = e.posting_id
        JOIN ledger_accounts a ON a.id = e.account_id
        WHERE p.hold_id IS NOT NULL AND a.kind = 'held'
        GROUP BY p.hold_id
    ) AS change
    WHERE hold.id = change.hold_id;
    RETURN NULL;
END;
$$
"""

# A hold starts empty and its amounts change only through that trigger (one level of triggers
# deeper than the statement); whose it is and what it is for never change.
GUARD_HOLDS = """
CREATE FUNCTION ledger_guard_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND (NEW.amount_minor, NEW.remaining_minor, NEW.captured_minor, NEW.released_minor)
        IS DISTINCT FROM (0::bigint, 0::bigint, 0::bigint, 0::bigint) THEN
        RAISE EXCEPTION 'hold % must start empty: only its postings fill it', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'holds_amounts_from_postings';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.amount_minor, NEW.remaining_minor, NEW.captured_minor, NEW.released_minor)
            IS DISTINCT FROM (OLD.amount_minor, OLD.remaining_minor, OLD.captured_minor, OLD.released_minor)
            AND pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'the amounts of hold % change only through its postings', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'holds_amounts_from_postings';
        END IF;
        IF (NEW.id, NEW.user_id, NEW.currency, NEW.request_id, NEW.transaction_id, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.currency, OLD.request_id, OLD.transaction_id, OLD.created_at) THEN
            RAISE EXCEPTION 'hold % cannot change whose or what it is', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'holds_immutable';
        END IF;
    END IF;
    RETURN NEW;
END;
$$
"""

TRIGGERS = [
    "CREATE TRIGGER ledger_entries_apply_holds AFTER INSERT ON ledger_entries"
    " REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_holds()",
    "CREATE TRIGGER holds_guard BEFORE INSERT OR UPDATE ON holds FOR EACH ROW EXECUTE FUNCTION ledger_guard_hold()",
]


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("remaining_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("captured_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("released_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="hold_status"),
            sa.Computed(
                "CASE WHEN remaining_minor > 0 THEN 'open'::hold_status ELSE 'closed'::hold_status END", persisted=True
            ),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_holds_currency_iso_4217")),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_holds_amount_not_negative")),
        sa.CheckConstraint("captured_minor >= 0 AND released_minor >= 0", name=op.f("ck_holds_settled_not_negative")),
        sa.CheckConstraint(
            "remaining_minor + captured_minor + released_minor = amount_minor", name=op.f("ck_holds_amounts_add_up")
        ),
        sa.CheckConstraint("remaining_minor <= amount_minor", name=op.f("ck_holds_remaining_within_amount")),
        sa.CheckConstraint("remaining_minor >= 0", name=op.f("ck_holds_remaining_not_negative")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_holds_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_index(op.f("ix_holds_user_id"), "holds", ["user_id"], unique=False)
    # postings is the busiest table: a nullable column is only a catalog change, the foreign key is
    # checked for new rows only (NOT VALID; every old row is NULL), the index is built without
    # blocking writes.
    op.add_column("postings", sa.Column("hold_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_postings_hold_id_holds"), "postings", "holds", ["hold_id"], ["id"], postgresql_not_valid=True
    )
    with op.get_context().autocommit_block():
        op.create_index(
            op.f("ix_postings_hold_id"), "postings", ["hold_id"], unique=False, postgresql_concurrently=True
        )
    for function in (APPLY_HOLDS, GUARD_HOLDS):
        op.execute(function)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    op.execute("DROP TRIGGER holds_guard ON holds")
    op.execute("DROP TRIGGER ledger_entries_apply_holds ON ledger_entries")
    op.execute("DROP FUNCTION ledger_guard_hold()")
    op.execute("DROP FUNCTION ledger_apply_holds()")
    op.drop_index(op.f("ix_postings_hold_id"), table_name="postings")
    op.drop_constraint(op.f("fk_postings_hold_id_holds"), "postings", type_="foreignkey")
    op.drop_column("postings", "hold_id")
    op.drop_index(op.f("ix_holds_user_id"), table_name="holds")
    op.drop_table("holds")
    op.execute("DROP TYPE hold_status")
