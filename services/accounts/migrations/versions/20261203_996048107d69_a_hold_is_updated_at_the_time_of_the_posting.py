"""A hold is updated at the time of the posting that changed it, as its entries are.

Revision ID: 996048107d69
Revises: 14b6d6612109
Create Date: 2026-12-03 03:59:39.288654
"""

from collections.abc import Sequence

from alembic import op

revision: str = "996048107d69"
down_revision: str | None = "14b6d6612109"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A posting written in one statement outside a transaction carries the time the service gave it (the
# service answers with it before the statement runs); the hold it changes takes that time too, not now().
APPLY_HOLDS = """
CREATE OR REPLACE FUNCTION ledger_apply_holds() RETURNS trigger LANGUAGE plpgsql AS $$
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
        updated_at = change.written
    FROM (
        SELECT p.hold_id,
               max(p.created_at) AS written,
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

# As it was (revision 8d299bc5a7bd).
APPLY_HOLDS_BEFORE = APPLY_HOLDS.replace("               max(p.created_at) AS written,\n", "").replace(
    "updated_at = change.written", "updated_at = now()"
)


def upgrade() -> None:
    op.execute(APPLY_HOLDS)


def downgrade() -> None:
    op.execute(APPLY_HOLDS_BEFORE)
