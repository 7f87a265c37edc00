"""`python -m <context> verify-schema`: the live database against the models, after migrating."""

import os

import asyncpg
import pytest

from servicekit import drift
from testkit.commands import run_command

from .migrations_support import migrate_to


async def execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def verify_schema(database):
    return await run_command(
        database.spec.name, "verify-schema", env=os.environ | {"DATABASE_URL": database.service_url}
    )


async def test_a_freshly_migrated_database_matches_its_models(empty_database):
    await migrate_to(empty_database, "head")
    finished = await verify_schema(empty_database)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert finished.stdout.startswith(f"{empty_database.spec.name}: schema matches the models")


async def test_a_column_dropped_by_hand_is_reported_and_fails_the_command(empty_database):
    await migrate_to(empty_database, "head")
    await execute(empty_database.url, "ALTER TABLE outbox_events DROP COLUMN subject_id")
    finished = await verify_schema(empty_database)
    assert finished.returncode == 1
    assert "differs from the models (1 difference)" in finished.stdout
    assert "column outbox_events.subject_id: in the models, missing from the database" in finished.stdout


@pytest.mark.parametrize("empty_database", ["messaging"], indirect=True)
async def test_every_kind_of_difference_is_named_in_a_line_of_its_own(empty_database):
    await migrate_to(empty_database, "head")
    await execute(
        empty_database.url,
        "CREATE TABLE scratch (id integer)",
        "ALTER TABLE messages ADD COLUMN edited_at timestamptz",
        "ALTER TABLE messages ALTER COLUMN image_url TYPE text",
        "ALTER TABLE participant_states ALTER COLUMN archived DROP NOT NULL",
        "DROP INDEX ix_messages_conversation_id_created_at",
        "ALTER TABLE conversations DROP CONSTRAINT uq_conversations_listing_id_buyer_id",
        "ALTER TABLE messages DROP CONSTRAINT fk_messages_conversation_id_conversations",
        "ALTER TABLE conversations DROP CONSTRAINT ck_conversations_two_people",
        "ALTER TABLE conversations ADD CONSTRAINT ck_conversations_recent CHECK (created_at > '2020-01-01')",
    )
    differences, heads = await drift.differences(
        empty_database.service_url, empty_database.spec.name, empty_database.spec.outbox.metadata
    )
    missing, extra = "in the models, missing from the database", "in the database, not in the models"
    assert sorted(differences) == sorted(
        [
            f"table scratch: {extra}",
            f"column messages.edited_at: {extra}",
            "column messages.image_url: type TEXT in the database, VARCHAR(2048) in the models",
            "column participant_states.archived: nullable in the database, NOT NULL in the models",
            f"index ix_messages_conversation_id_created_at on messages (conversation_id, created_at): {missing}",
            f"unique constraint uq_conversations_listing_id_buyer_id on conversations (listing_id, buyer_id): {missing}",
            "foreign key fk_messages_conversation_id_conversations on messages (conversation_id)"
            f" -> conversations (id): {missing}",
            f"check constraint ck_conversations_two_people on conversations: {missing}",
            f"check constraint ck_conversations_recent on conversations: {extra}",
        ]
    )
    assert len(heads) == 1
