"""Fill the new columns from the rows there are: each message's kind, each conversation's newest message, each
participant's unread count and last activity; then validate the checks and foreign keys added NOT VALID.

Revision ID: 7e52c4d8a016
Revises: 3c1f0a9d2b71
Create Date: 2026-12-03 09:00:01.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7e52c4d8a016"
down_revision: str | None = "3c1f0a9d2b71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALIDATED = {
    "messages": (
        "ck_messages_text_length",
        "ck_messages_image_url_length",
        "ck_messages_system_has_no_sender",
        "ck_messages_offer_names_offer",
    ),
    "participant_states": (
        "ck_participant_states_unread_not_negative",
        "fk_participant_states_last_read_message_id_messages",
    ),
    "conversations": ("fk_conversations_last_message_id_messages",),
}


def upgrade() -> None:
    op.execute("UPDATE messages SET kind = 'image' WHERE image_url <> '' AND kind = 'text'")
    op.execute(
        "UPDATE conversations AS c SET last_message_id = newest.id, last_message_at = newest.created_at"
        " FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at FROM messages"
        "       ORDER BY conversation_id, created_at DESC, id DESC) AS newest"
        " WHERE newest.conversation_id = c.id AND c.last_message_id IS NULL"
    )
    op.execute(
        "UPDATE participant_states AS p SET active_at = coalesce(c.last_message_at, c.created_at),"
        " unread_count = (SELECT count(*) FROM messages AS m WHERE m.conversation_id = p.conversation_id"
        "   AND m.sender_id IS DISTINCT FROM p.user_id AND (p.last_read_at IS NULL OR m.created_at > p.last_read_at))"
        " FROM conversations AS c WHERE c.id = p.conversation_id"
    )
    # VALIDATE takes a lock that lets reads and writes go on while it scans.
    for table, names in VALIDATED.items():
        for name in names:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    # Nothing to undo: the columns filled here go with the revision that added them.
    pass
