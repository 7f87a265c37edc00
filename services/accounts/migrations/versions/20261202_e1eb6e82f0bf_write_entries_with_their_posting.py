"""Entries are written with their posting: the commit check refuses an entry whose time is not its posting's.

Revision ID: e1eb6e82f0bf
Revises: fba6ee8492cb
Create Date: 2026-12-02 06:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e1eb6e82f0bf"
down_revision: str | None = "fba6ee8492cb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As before, checked at commit for each posting and each entry: the posting's entries sum to zero and
# there are at least two. Now also: an entry has its posting's created_at, the time of the transaction
# that wrote both, so an entry can never join an old posting, the entries of a posting share one
# partition of ledger_entries, and that partition is the only one the sum reads.
CHECK_BALANCED = """
CREATE OR REPLACE FUNCTION ledger_check_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posting uuid;
    written timestamptz;
    late boolean;
    total numeric;
    lines integer;
BEGIN
    IF TG_TABLE_NAME = 'postings' THEN
        posting := NEW.id;
        written := NEW.created_at;
    ELSE
        posting := NEW.posting_id;
        SELECT created_at INTO written FROM postings WHERE id = posting;
    END IF;
    late := TG_TABLE_NAME <> 'postings' AND NEW.created_at IS DISTINCT FROM written;
    IF late THEN
        SELECT coalesce(sum(amount_minor), 0), count(*) INTO total, lines FROM ledger_entries WHERE posting_id = posting;
    ELSE
        SELECT coalesce(sum(amount_minor), 0), count(*) INTO total, lines
        FROM ledger_entries WHERE posting_id = posting AND created_at = written;
    END IF;
    IF total <> 0 OR lines < 2 THEN
        RAISE EXCEPTION 'posting % is not balanced: its % entries sum to %', posting, lines, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'postings_balanced';
    END IF;
    IF late THEN
        RAISE EXCEPTION 'entry % was not written with its posting %', NEW.id, posting
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entries_written_with_posting';
    END IF;
    RETURN NULL;
END;
$$
"""

CHECK_BALANCED_BEFORE = """
CREATE OR REPLACE FUNCTION ledger_check_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    posting uuid;
    total numeric;
    lines integer;
BEGIN
    IF TG_TABLE_NAME = 'postings' THEN
        posting := NEW.id;
    ELSE
        posting := NEW.posting_id;
    END IF;
    SELECT coalesce(sum(amount_minor), 0), count(*) INTO total, lines FROM ledger_entries WHERE posting_id = posting;
    IF total <> 0 OR lines < 2 THEN
        RAISE EXCEPTION 'posting % is not balanced: its % entries sum to %', posting, lines, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'postings_balanced';
    END IF;
    RETURN NULL;
END;
$$
"""


def upgrade() -> None:
    op.execute(CHECK_BALANCED)


def downgrade() -> None:
    op.execute(CHECK_BALANCED_BEFORE)
