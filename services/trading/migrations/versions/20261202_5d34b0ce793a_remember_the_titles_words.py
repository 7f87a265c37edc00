"""Remember the titles' words: title_words, one row per distinct word of any listing's title, kept by
statement triggers and searched by a trigram index; extended statistics of the attribute values' keys and
values; the trigram index of whole titles dropped.

A typo is found as Elasticsearch finds it, among the words of the index: the words like the one asked
(a few thousand to compare, not a million titles), whose listings the title's full-text index then gives.
The planner took `rarity = Common` for 1 in 200 value rows where it is 1 in 20, as its statistics of
value_string mix every key's values; the keys' and values' most common pairs tell it.

Revision ID: 5d34b0ce793a
Revises: b414c8de9e37
Create Date: 2026-12-02 17:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d34b0ce793a"
down_revision: str | None = "b414c8de9e37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The distinct words of the rows' titles, as the search splits q. In word order, so that two statements
# adding the same new words wait for each other in one order, never in a cycle.
WORDS_OF = (
    "SELECT DISTINCT word FROM {rows}, unnest(tsvector_to_array(to_tsvector('simple'::regconfig, title))) AS word"
    " ORDER BY word"
)


def upgrade() -> None:
    op.execute(
        "CREATE TABLE IF NOT EXISTS title_words (word text NOT NULL, CONSTRAINT pk_title_words PRIMARY KEY (word))"
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION listings_title_words() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO title_words (word) {WORDS_OF.format(rows="written")} ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    # Statement triggers with the rows written: a bulk insert adds its words in one statement.
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE OR REPLACE TRIGGER listings_title_words_{event.lower()} AFTER {event} ON listings"
            " REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION listings_title_words()"
        )
    op.execute(f"INSERT INTO title_words (word) {WORDS_OF.format(rows='listings')} ON CONFLICT DO NOTHING")
    op.execute("CREATE INDEX IF NOT EXISTS ix_title_words_word_trgm ON title_words USING gin (word gin_trgm_ops)")
    for column in ("value_string", "value_boolean"):
        op.execute(
            f"CREATE STATISTICS IF NOT EXISTS st_listing_attribute_values_key_{column} (mcv)"
            f" ON key, {column} FROM listing_attribute_values"
        )
    op.execute("ANALYZE title_words, listing_attribute_values")
    with op.get_context().autocommit_block():
        op.drop_index("ix_listings_title_trgm", table_name="listings", postgresql_concurrently=True, if_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_listings_title_trgm",
            "listings",
            ["title"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
            postgresql_concurrently=True,
            if_not_exists=True,
        )
    for column in ("value_string", "value_boolean"):
        op.execute(f"DROP STATISTICS IF EXISTS st_listing_attribute_values_key_{column}")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS listings_title_words_{event} ON listings")
    op.execute("DROP FUNCTION IF EXISTS listings_title_words()")
    op.execute("DROP TABLE IF EXISTS title_words")
