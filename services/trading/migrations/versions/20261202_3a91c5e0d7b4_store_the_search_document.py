"""Store the search document: listings.search_document, a tsvector filled by a trigger on every insert and
every change of the title or description, backfilled in batches, and its GIN index built concurrently.

Expand and backfill: the column is added nullable (no rewrite of listings), the trigger keeps every row
written from now on filled, the batches fill the rows there were, each in a transaction of its own (no
long lock, no long transaction holding back vacuum). The next revision drops the expression index.

Revision ID: 3a91c5e0d7b4
Revises: b7c41e9d2a55
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3a91c5e0d7b4"
down_revision: str | None = "b7c41e9d2a55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As trading.models.SEARCH_DOCUMENT spells it, of the row a trigger writes: a revision does not import the
# code that changes after it.
DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, {row}title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, {row}description), 'B')"
)
BACKFILL_BATCH = 10_000


def upgrade() -> None:
    op.execute("ALTER TABLE listings ADD COLUMN IF NOT EXISTS search_document tsvector")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION listings_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_document := {DOCUMENT.format(row="NEW.")};
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE OR REPLACE TRIGGER listings_search_document BEFORE INSERT OR UPDATE OF title, description"
        " ON listings FOR EACH ROW EXECUTE FUNCTION listings_search_document()"
    )
    with op.get_context().autocommit_block():
        # Batch after batch in id order, each committed on its own: the rows written meanwhile are the trigger's.
        op.execute(
            f"""
            DO $$
            DECLARE
                -- Below every id listings get (version 4 UUIDs).
                last_id uuid := '00000000-0000-0000-0000-000000000000';
                batch_end uuid;
            BEGIN
                LOOP
                    SELECT id INTO batch_end FROM listings WHERE id > last_id
                    ORDER BY id OFFSET {BACKFILL_BATCH - 1} LIMIT 1;
                    IF batch_end IS NULL THEN
                        -- The last batch: up to the last listing.
                        SELECT id INTO batch_end FROM listings ORDER BY id DESC LIMIT 1;
                    END IF;
                    EXIT WHEN batch_end IS NULL OR batch_end <= last_id;
                    UPDATE listings SET search_document = {DOCUMENT.format(row="")}
                    WHERE id > last_id AND id <= batch_end AND search_document IS NULL;
                    COMMIT;
                    last_id := batch_end;
                END LOOP;
            END
            $$
            """
        )
        op.create_index(
            "ix_listings_search_document_stored",
            "listings",
            ["search_document"],
            postgresql_using="gin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_listings_search_document_stored",
            table_name="listings",
            postgresql_concurrently=True,
            if_exists=True,
        )
    op.execute("DROP TRIGGER IF EXISTS listings_search_document ON listings")
    op.execute("DROP FUNCTION IF EXISTS listings_search_document()")
    op.execute("ALTER TABLE listings DROP COLUMN IF EXISTS search_document")
