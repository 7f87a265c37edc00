"""Enforce the ledger in the database: balanced postings, balances kept from entries, append-only.

Revision ID: b4aebaff7e41
Revises: bc8f7430c739
Create Date: 2026-11-23 07:00:04.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b4aebaff7e41"
down_revision: str | None = "bc8f7430c739"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each entry is applied to its account's balance by the database itself, in the statement
# that inserts it, so a balance is always the sum of its entries; the balance CHECK then
# refuses anything that would take a user's account below zero.
APPLY_ENTRIES = """
CREATE FUNCTION ledger_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts AS account
    SET balance_minor = account.balance_minor + change.total, updated_at = now()
    FROM (SELECT account_id, sum(amount_minor) AS total FROM new_entries GROUP BY account_id) AS change
    WHERE account.id = change.account_id;
    RETURN NULL;
END;
$$
"""

# A balance starts at zero and changes only through that trigger (one level of triggers deeper
# than the statement); what an account is never changes.
GUARD_ACCOUNTS = """
CREATE FUNCTION ledger_guard_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.balance_minor <> 0 THEN
        RAISE EXCEPTION 'ledger account % must start at zero: only entries change a balance', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_balance_from_entries';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.balance_minor IS DISTINCT FROM OLD.balance_minor AND pg_trigger_depth() < 2 THEN
            RAISE EXCEPTION 'the balance of ledger account % changes only through ledger entries', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_balance_from_entries';
        END IF;
        IF (NEW.id, NEW.user_id, NEW.kind, NEW.currency, NEW.shard)
            IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.kind, OLD.currency, OLD.shard) THEN
            RAISE EXCEPTION 'ledger account % cannot change whose or what it is', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_accounts_immutable';
        END IF;
    END IF;
    RETURN NEW;
END;
$$
"""

# Checked at commit (a deferred constraint trigger), when every entry of the posting is in:
# the entries of a posting sum to zero and there are at least two. Fired for the posting and
# for each entry, so an entry added later to an old posting is checked too.
CHECK_BALANCED = """
CREATE FUNCTION ledger_check_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
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

APPEND_ONLY = """
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_TABLE_NAME || '_append_only';
END;
$$
"""

TRIGGERS = [
    "CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries"
    " REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_entries()",
    "CREATE TRIGGER ledger_accounts_guard BEFORE INSERT OR UPDATE ON ledger_accounts"
    " FOR EACH ROW EXECUTE FUNCTION ledger_guard_account()",
    "CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON postings"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_posting_balanced()",
    "CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_posting_balanced()",
    "CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings"
    " FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
    "CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings"
    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()",
    "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries"
    " FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
    "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()",
]

DROPPED_TRIGGERS = [
    ("ledger_entries_no_truncate", "ledger_entries"),
    ("ledger_entries_append_only", "ledger_entries"),
    ("postings_no_truncate", "postings"),
    ("postings_append_only", "postings"),
    ("ledger_entries_balanced", "ledger_entries"),
    ("postings_balanced", "postings"),
    ("ledger_accounts_guard", "ledger_accounts"),
    ("ledger_entries_apply", "ledger_entries"),
]
FUNCTIONS = ["ledger_append_only", "ledger_check_posting_balanced", "ledger_guard_account", "ledger_apply_entries"]


def upgrade() -> None:
    for function in (APPLY_ENTRIES, GUARD_ACCOUNTS, CHECK_BALANCED, APPEND_ONLY):
        op.execute(function)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    for trigger, table in DROPPED_TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
