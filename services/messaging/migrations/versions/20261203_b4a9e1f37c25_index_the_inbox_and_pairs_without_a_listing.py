"""Index each participant's inbox by archived and activity, messages by their origin, and allow one conversation
per two users about no listing.

Revision ID: b4a9e1f37c25
Revises: 7e52c4d8a016
Create Date: 2026-12-03 09:00:02.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4a9e1f37c25"
down_revision: str | None = "7e52c4d8a016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Concurrently: building them holds up no writes.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_participant_states_inbox",
            "participant_states",
            ["user_id", "archived", sa.text("active_at DESC"), sa.text("conversation_id DESC")],
            unique=False,
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.create_index(
            "uq_conversations_pair_without_listing",
            "conversations",
            [sa.text("least(buyer_id, seller_id)"), sa.text("greatest(buyer_id, seller_id)")],
            unique=True,
            postgresql_where=sa.text("listing_id IS NULL"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.create_index(
            "uq_messages_origin",
            "messages",
            ["origin"],
            unique=True,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table in (
            ("uq_messages_origin", "messages"),
            ("uq_conversations_pair_without_listing", "conversations"),
            ("ix_participant_states_inbox", "participant_states"),
        ):
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
